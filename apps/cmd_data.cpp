// `cromss data synth|inspect|ingest`: the data layer's CLI (docs/data.md). synth writes the
// embedded synthetic dataset, inspect scans a dataset (exit 1 on any inconsistency), ingest turns
// GeoTIFF scenes (one, a list file or a release layout) into one LMDB set in upstream's formats
// (exit 1 when any scene was refused; the rest is written). Flags use upstream's names where they
// exist.
#include <chrono>
#include <cstdio>
#include <filesystem>

#include "apps/registry.h"
#include "core/error.h"
#include "data/ingest.h"
#include "data/ingest_scenes.h"
#include "data/inspect.h"
#include "data/ssl4eo_dataset.h"
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

void print_ingest_summary(const IngestReport& r, const std::string& format, size_t listed,
                          double seconds) {
  for (const auto& p : r.written) std::printf("LMDB %s\n", p.c_str());
  const long long first = r.first_key, next = r.next_key;
  const std::string this_run =
      next > first ? fmt::format("{}..{}", first, next - 1) : std::string("none");
  std::printf("keys 0..%lld (this run: %s) in %.1f s\n", next - 1, this_run.c_str(), seconds);
  std::printf("scenes: %zu listed, %lld ingested, %lld already done, %zu refused\n", listed,
              static_cast<long long>(r.scenes_ingested),
              static_cast<long long>(r.scenes_already_done), r.refused.size());
  std::printf("tiles: %lld written, %lld skipped (ignored label pixels)\n",
              static_cast<long long>(r.tiles_written), static_cast<long long>(r.tiles_skipped));
  const auto& names = downstream_class_names(
      parse_downstream_kind(format == "pretrain" ? std::string("DW") : format));
  uint64_t total = 0;
  for (uint64_t n : r.class_pixels) total += n;
  std::printf("label pixels of the tiles written by this run:\n");
  for (size_t c = 0; c < r.class_pixels.size(); ++c)
    std::printf("  %-24s %14llu %7.3f %%\n",
                c < names.size() ? (std::to_string(c) + " " + names[c]).c_str() : "ignore",
                static_cast<unsigned long long>(r.class_pixels[c]),
                total ? 100.0 * r.class_pixels[c] / total : 0.0);
  if (!r.refused.empty()) std::printf("refused (nothing of them written):\n");
  for (const auto& f : r.refused) std::printf("  %s: %s\n", f.scene.c_str(), f.reason.c_str());
}

void setup_ingest(CLI::App& data) {
  auto* cmd = data.add_subcommand(
      "ingest", "Tile S1/S2/label GeoTIFF scenes into one LMDB set in upstream's formats");
  struct Flags {
    IngestOptions opt;
    std::vector<std::string> s1, s2, label;
    std::string list, layout, root;
  };
  auto f = std::make_shared<Flags>();
  IngestOptions& o = f->opt;
  auto* s1 = cmd->add_option("--s1", f->s1, "One scene: S1 GeoTIFF(s) (VV, VH in dB), 1-4 dates")
                 ->delimiter(',');
  cmd->add_option("--s2", f->s2, "One scene: S2 GeoTIFF(s) (13 L1C bands), 1-4 dates")
      ->delimiter(',')
      ->needs(s1);
  cmd->add_option("--label", f->label, "One scene: label GeoTIFF(s), 1-4 dates")
      ->delimiter(',')
      ->needs(s1);
  auto* list = cmd->add_option("--list", f->list,
                               "Scene list: one scene per line, 'S1 S2 LABEL' (dates "
                               "comma-separated; paths relative to the list)");
  auto* layout = cmd->add_option("--layout", f->layout,
                                 "Release folder layout under --root: dfc2020, ssl4eo, dw, osm");
  cmd->add_option("--root", f->root, "Root folder of --layout")->needs(layout);
  layout->needs("--root");
  s1->excludes(list)->excludes(layout);
  list->excludes(layout);
  cmd->add_option("--out", o.out_dir, "Output directory (appends to the LMDB set there)")
      ->required();
  auto* format = cmd->add_option("--format", o.format,
                                 "pretrain, DW, OSM or DFC (default: the "
                                 "layout's, else pretrain)");
  cmd->add_option("--name", o.name,
                  "Downstream LMDB directory name (default ingest_<format>_lmdb)");
  auto* tile = cmd->add_option("--tile", o.tile,
                               "Tile size (0: whole scene; default: the layout's, else 264)");
  cmd->add_option("--stride", o.stride, "Tile stride (default: the tile size)");
  auto* label_map = cmd->add_option(
      "--label_map", o.label_map,
      "Label value mapping, e.g. '-1:ignore,0:0,1:1' (default: the layout's, else identity)");
  cmd->add_option("--threads", o.threads, "Reader threads (0: all cores, at most 8)")
      ->capture_default_str();
  cmd->add_option("--protocol", o.protocol, "Pickle protocol of the records (2 or 4)")
      ->capture_default_str();
  cmd->callback([f, format, tile, label_map] {
    IngestOptions& o = f->opt;
    SceneList scenes;
    if (!f->list.empty()) {
      scenes = scenes_from_list_file(f->list);
    } else if (!f->layout.empty()) {
      scenes = scenes_from_layout(f->layout, f->root);
      const LayoutDefaults d = layout_defaults(f->layout);
      if (format->count() == 0) o.format = d.format;
      if (tile->count() == 0) o.tile = d.tile;
      if (label_map->count() == 0) o.label_map = d.label_map;
    } else if (!f->s1.empty() && !f->s2.empty() && !f->label.empty()) {
      scenes.scenes.push_back({f->s1, f->s2, f->label});
    } else {
      throw CLI::ValidationError("ingest", "give --s1, --s2 and --label, or --list, or --layout");
    }
    o.scenes = scenes.scenes;
    const auto t0 = std::chrono::steady_clock::now();
    IngestReport r = ingest(o);
    r.refused.insert(r.refused.begin(), scenes.refused.begin(), scenes.refused.end());
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    print_ingest_summary(r, o.format, scenes.scenes.size() + scenes.refused.size(), s);
    if (!r.refused.empty()) throw CLI::RuntimeError(1);
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
