// resize_bilinear, upsample_nearest2x, batch_norm2d and group_norm (f64, CPU) against PyTorch
// reference values in tests/fixtures/ops_resize_norm.h5 (written by tools/make_op_fixtures.py),
// forward and backward, with the f64 element tolerance. Skips when the fixture is missing.
#include <gtest/gtest.h>
#include <hdf5.h>

#include <filesystem>
#include <string>
#include <vector>

#include "engine/ops/batch_norm.h"
#include "engine/ops/group_norm.h"
#include "engine/ops/resize.h"
#include "tests/tolerance.h"

namespace cromss {
namespace {

const std::string kFixture = std::string(CROMSS_SOURCE_DIR) + "/tests/fixtures/ops_resize_norm.h5";

herr_t collect_name(hid_t, const char* name, const H5L_info_t*, void* out) {
  static_cast<std::vector<std::string>*>(out)->push_back(name);
  return 0;
}

// Read-only access to the fixture's float64 datasets and numeric attributes.
class Fixture {
 public:
  Fixture()
      : file_(std::filesystem::exists(kFixture)
                  ? H5Fopen(kFixture.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT)
                  : H5I_INVALID_HID) {}
  ~Fixture() {
    if (file_ >= 0) H5Fclose(file_);
  }
  bool ok() const { return file_ >= 0; }

  Tensor tensor(const std::string& path) const {
    hid_t ds = H5Dopen2(file_, path.c_str(), H5P_DEFAULT);
    EXPECT_GE(ds, 0) << kFixture << ": no dataset " << path;
    if (ds < 0) return Tensor();
    hid_t space = H5Dget_space(ds);
    const int rank = H5Sget_simple_extent_ndims(space);
    std::vector<hsize_t> dims(rank);
    H5Sget_simple_extent_dims(space, dims.data(), nullptr);
    Shape shape(dims.begin(), dims.end());
    std::vector<double> values(shape_numel(shape));
    EXPECT_GE(H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()), 0)
        << kFixture << ": cannot read " << path;
    H5Sclose(space);
    H5Dclose(ds);
    return Tensor::from_vector(values, shape);
  }

  double attr(const std::string& object, const std::string& name) const {
    double value = 0;
    hid_t a = H5Aopen_by_name(file_, object.c_str(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT);
    EXPECT_GE(a, 0) << kFixture << ": no attribute " << object << "@" << name;
    if (a < 0) return value;
    H5Aread(a, H5T_NATIVE_DOUBLE, &value);
    H5Aclose(a);
    return value;
  }

  std::vector<std::string> children(const std::string& group) const {
    std::vector<std::string> names;
    H5Literate_by_name(file_, group.c_str(), H5_INDEX_NAME, H5_ITER_INC, nullptr, collect_name,
                       &names, H5P_DEFAULT);
    return names;
  }

 private:
  hid_t file_;
};

#define REQUIRE_FIXTURE(f)               \
  Fixture f;                             \
  if (!f.ok())                           \
  GTEST_SKIP() << "fixture " << kFixture \
               << " missing; generate it with /usr/bin/python3 tools/make_op_fixtures.py"

TEST(OpsTorchFixture, Bilinear) {
  REQUIRE_FIXTURE(f);
  const auto cases = f.children("/bilinear");
  EXPECT_EQ(cases.size(), 12u);
  for (const std::string& name : cases) {
    SCOPED_TRACE(name);
    const std::string g = "/bilinear/" + name;
    Tensor x = f.tensor(g + "/x").set_requires_grad(true);
    Tensor y =
        resize_bilinear(x, static_cast<int64_t>(f.attr(g, "out_h")),
                        static_cast<int64_t>(f.attr(g, "out_w")), f.attr(g, "align_corners") != 0);
    EXPECT_TRUE(test::all_close(y, f.tensor(g + "/y")));
    y.backward(f.tensor(g + "/grad_out"));
    EXPECT_TRUE(test::all_close(x.grad(), f.tensor(g + "/grad_x")));
  }
}

TEST(OpsTorchFixture, NearestX2) {
  REQUIRE_FIXTURE(f);
  Tensor x = f.tensor("/nearest/x").set_requires_grad(true);
  Tensor y = upsample_nearest2x(x);
  EXPECT_TRUE(test::all_close(y, f.tensor("/nearest/y")));
  y.backward(f.tensor("/nearest/grad_out"));
  EXPECT_TRUE(test::all_close(x.grad(), f.tensor("/nearest/grad_x")));
}

TEST(OpsTorchFixture, BatchNormTrainingStepThenEval) {
  REQUIRE_FIXTURE(f);
  const std::string g = "/batch_norm";
  const double momentum = f.attr(g, "momentum"), eps = f.attr(g, "eps");
  Tensor x = f.tensor(g + "/x").set_requires_grad(true);
  Tensor w = f.tensor(g + "/weight").set_requires_grad(true);
  Tensor b = f.tensor(g + "/bias").set_requires_grad(true);
  Tensor rm = f.tensor(g + "/running_mean_in"), rv = f.tensor(g + "/running_var_in");
  Tensor grad_out = f.tensor(g + "/grad_out");
  Tensor y = batch_norm2d(x, w, b, rm, rv, true, momentum, eps);
  EXPECT_TRUE(test::all_close(y, f.tensor(g + "/y")));
  EXPECT_TRUE(test::all_close(rm, f.tensor(g + "/running_mean_out")));
  EXPECT_TRUE(test::all_close(rv, f.tensor(g + "/running_var_out")));
  y.backward(grad_out);
  EXPECT_TRUE(test::all_close(x.grad(), f.tensor(g + "/grad_x")));
  EXPECT_TRUE(test::all_close(w.grad(), f.tensor(g + "/grad_weight")));
  EXPECT_TRUE(test::all_close(b.grad(), f.tensor(g + "/grad_bias")));

  Tensor xe = x.detach().clone().set_requires_grad(true);
  Tensor ye = batch_norm2d(xe, w.detach(), b.detach(), rm, rv, false, momentum, eps);
  EXPECT_TRUE(test::all_close(ye, f.tensor(g + "/y_eval")));
  ye.backward(grad_out);
  EXPECT_TRUE(test::all_close(xe.grad(), f.tensor(g + "/grad_x_eval")));
}

TEST(OpsTorchFixture, GroupNorm) {
  REQUIRE_FIXTURE(f);
  const std::string g = "/group_norm";
  Tensor x = f.tensor(g + "/x").set_requires_grad(true);
  Tensor w = f.tensor(g + "/weight").set_requires_grad(true);
  Tensor b = f.tensor(g + "/bias").set_requires_grad(true);
  Tensor y = group_norm(x, static_cast<int64_t>(f.attr(g, "groups")), w, b, f.attr(g, "eps"));
  EXPECT_TRUE(test::all_close(y, f.tensor(g + "/y")));
  y.backward(f.tensor(g + "/grad_out"));
  EXPECT_TRUE(test::all_close(x.grad(), f.tensor(g + "/grad_x")));
  EXPECT_TRUE(test::all_close(w.grad(), f.tensor(g + "/grad_weight")));
  EXPECT_TRUE(test::all_close(b.grad(), f.tensor(g + "/grad_bias")));
}

}  // namespace
}  // namespace cromss
