// `cromss data synth|inspect|ingest`: the data layer's CLI (docs/data.md). synth writes the
// embedded synthetic dataset, inspect scans a dataset (exit 1 on any inconsistency), ingest turns
// GeoTIFFs into upstream's LMDB formats. Flags use upstream's names where they exist.
#include <chrono>
#include <cstdio>
#include <filesystem>

#include "apps/registry.h"
#include "core/error.h"
#include "data/ingest.h"
#include "data/inspect.h"
#include "data/synth.h"

namespace {

using namespace cromss::data;

void setup_synth(CLI::App& data) {
  auto* cmd = data.add_subcommand(
      "synth", "Write a synthetic SSL4EO-like dataset with noisy and clean labels");
  auto opt = std::make_shared<SynthOptions>();
  cmd->add_option("--out", opt->out_dir, "Output directory")->required();
  cmd->add_option("--n", opt->n, "Number of locations")->capture_default_str();
  cmd->add_option("--seed", opt->seed, "Random seed")->capture_default_str();
  cmd->add_option("--size", opt->size, "Tile size in pixels")->capture_default_str();
  cmd->add_option("--noise", opt->noise,
                  "Target fraction of wrong noisy-label pixels (noise model intensity)")
      ->capture_default_str();
  cmd->add_option("--downstream", opt->downstream,
                  "Write a downstream dataset instead: DW, OSM or DFC");
  cmd->add_option("--threads", opt->threads,
                  "Worker threads (0: all cores; output does not depend on it)");
  cmd->add_option("--protocol", opt->protocol, "Pickle protocol of the records (2 or 4)")
      ->capture_default_str();
  cmd->callback([opt] {
    const auto t0 = std::chrono::steady_clock::now();
    const SynthReport r = write_synth_dataset(*opt);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    for (const auto& p : r.replaced) std::printf("replaced the existing %s\n", p.c_str());
    for (const auto& p : r.written) std::printf("wrote %s\n", p.c_str());
    std::printf("%lld locations of %dx%d in %.2f s", static_cast<long long>(r.locations), opt->size,
                opt->size, s);
    if (r.label_pixels)
      std::printf("; noisy labels differ from clean on %.2f %% of pixels",
                  100.0 * r.wrong_pixels / r.label_pixels);
    std::printf("\n");
  });
}

void setup_inspect(CLI::App& data) {
  auto* cmd = data.add_subcommand("inspect",
                                  "Counts, shapes, class histograms and consistency of a dataset");
  struct Flags {
    PretrainPaths paths;
    std::string dataset;
    bool json = false;
    bool clean_given = false;
  };
  auto f = std::make_shared<Flags>();
  f->paths.name_clean_label = "dw_labels_clean.lmdb";
  cmd->add_option("--data_path", f->paths.data_path,
                  "Dataset directory (pretraining) or LMDB (downstream)")
      ->required();
  cmd->add_option("--data_name_s1", f->paths.name_s1)->capture_default_str();
  cmd->add_option("--data_name_s2", f->paths.name_s2)->capture_default_str();
  cmd->add_option("--data_name_label", f->paths.name_label)->capture_default_str();
  cmd->add_option("--data_name_clean_label", f->paths.name_clean_label,
                  "Clean-label LMDB (used when present)")
      ->capture_default_str();
  cmd->add_option("--dataset", f->dataset, "Downstream dataset kind: DFC, DW or OSM");
  cmd->add_flag("--json", f->json, "Print JSON instead of a table");
  cmd->callback([f] {
    const InspectReport r =
        f->dataset.empty()
            ? inspect_pretrain(f->paths)
            : inspect_downstream(parse_downstream_kind(f->dataset), f->paths.data_path);
    if (f->json)
      std::printf("%s\n", r.to_json().dump(1).c_str());
    else
      std::printf("%s", r.to_table().c_str());
    if (r.bad_samples > 0) {
      std::fprintf(stderr, "inconsistent dataset: %zu of %zu samples are bad (first: %s)\n",
                   r.bad_samples, r.samples, r.errors.empty() ? "?" : r.errors.front().c_str());
      throw CLI::RuntimeError(1);
    }
  });
}

void setup_ingest(CLI::App& data) {
  auto* cmd =
      data.add_subcommand("ingest", "Tile S1/S2/label GeoTIFFs into upstream's LMDB formats");
  auto opt = std::make_shared<IngestOptions>();
  cmd->add_option("--s1", opt->s1, "S1 GeoTIFF(s) (VV, VH in dB), 1-4 dates")
      ->required()
      ->delimiter(',');
  cmd->add_option("--s2", opt->s2, "S2 GeoTIFF(s) (13 L1C bands), 1-4 dates")
      ->required()
      ->delimiter(',');
  cmd->add_option("--label", opt->label, "Label GeoTIFF(s), 1-4 dates")->required()->delimiter(',');
  cmd->add_option("--out", opt->out_dir, "Output directory")->required();
  cmd->add_option("--format", opt->format, "pretrain, DW, OSM or DFC")->capture_default_str();
  cmd->add_option("--name", opt->name,
                  "Downstream LMDB directory name (default ingest_<format>_lmdb)");
  cmd->add_option("--tile", opt->tile, "Tile size (264 pretraining, 256 downstream)")
      ->capture_default_str();
  cmd->add_option("--stride", opt->stride, "Tile stride (default: the tile size)");
  cmd->add_option("--label_map", opt->label_map, "Label value mapping, e.g. '-1:ignore,0:0,1:1'");
  cmd->add_option("--protocol", opt->protocol, "Pickle protocol of the records (2 or 4)")
      ->capture_default_str();
  cmd->callback([opt] {
    const IngestReport r = ingest_geotiffs(*opt);
    for (const auto& p : r.written) std::printf("wrote %s\n", p.c_str());
    std::printf("%lld tiles written, %lld skipped (ignored label pixels) from %dx%d rasters\n",
                static_cast<long long>(r.tiles_written), static_cast<long long>(r.tiles_skipped),
                r.raster_height, r.raster_width);
    for (size_t c = 0; c < r.class_pixels.size(); ++c)
      std::printf(
          "  %s %llu\n",
          c + 1 == r.class_pixels.size() ? "ignore" : ("class " + std::to_string(c)).c_str(),
          static_cast<unsigned long long>(r.class_pixels[c]));
  });
}

void setup_data(CLI::App& root) {
  auto* data = root.add_subcommand("data", "Dataset tools: synth, inspect, ingest");
  data->require_subcommand(1);
  setup_synth(*data);
  setup_inspect(*data);
  setup_ingest(*data);
}

}  // namespace

CROMSS_REGISTER_COMMAND(data, setup_data);
