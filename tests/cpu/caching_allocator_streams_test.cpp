// The caching allocator's stream contract (core/allocator.h) on the CPU, with a fake stream/event
// layer that completes events only when the test says so: a block freed on its own stream is
// reused at once on that stream only; a block freed while another stream is current waits for an
// event recorded there; events complete in record order per stream. Plus StreamFork (core/
// stream_fork.h) on the CPU context, where it must change nothing.
#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <memory>
#include <vector>

#include "core/allocator.h"
#include "core/error.h"
#include "core/stream_fork.h"

namespace cromss {
namespace {

using cuda_api::Stream;

// Events are records {stream, sequence}; a stream has run past every record up to `done[stream]`.
struct FakeStreams {
  struct Event {
    Stream stream = Stream::compute;
    int sequence = 0;
  };
  Stream current = Stream::compute;
  std::map<Stream, int> recorded, done;
  std::vector<std::unique_ptr<Event>> events;
  int synchronized = 0;

  void finish(Stream s) { done[s] = recorded[s]; }
};

class FakeStreamEvents : public StreamEvents {
 public:
  explicit FakeStreamEvents(FakeStreams& f) : f_(f) {}
  Stream current() override { return f_.current; }
  void* event_create() override {
    f_.events.push_back(std::make_unique<FakeStreams::Event>());
    return f_.events.back().get();
  }
  void event_record(void* event, Stream stream) override {
    auto* e = static_cast<FakeStreams::Event*>(event);
    e->stream = stream;
    e->sequence = ++f_.recorded[stream];
  }
  bool event_done(void* event) override {
    auto* e = static_cast<FakeStreams::Event*>(event);
    return f_.done[e->stream] >= e->sequence;
  }
  void event_synchronize(void* event) override {
    auto* e = static_cast<FakeStreams::Event*>(event);
    ++f_.synchronized;
    f_.done[e->stream] = std::max(f_.done[e->stream], e->sequence);
  }
  void event_destroy(void*) noexcept override {}

 private:
  FakeStreams& f_;
};

int g_raw_allocs = 0;
bool g_out_of_memory = false;

void* counting_malloc(size_t bytes, int) {
  if (g_out_of_memory) {
    g_out_of_memory = false;  // fail once, as if the cache held the memory
    return nullptr;
  }
  ++g_raw_allocs;
  return std::malloc(bytes);
}
void plain_free(void* p, int) noexcept {
  std::free(p);
}

class StreamAwareCache : public ::testing::Test {
 protected:
  void SetUp() override { g_raw_allocs = 0; }
  FakeStreams streams;
  CachingAllocator cache{0, counting_malloc, plain_free,
                         std::make_unique<FakeStreamEvents>(streams)};
};

TEST_F(StreamAwareCache, BlockFreedOnItsOwnStreamIsReusedThereOnly) {
  streams.current = Stream::branch;
  void* a = cache.allocate(1000);
  cache.deallocate(a, 1000);
  EXPECT_EQ(cache.pending_blocks(), 0u);  // stream order protects it: no event
  streams.current = Stream::compute;
  void* b = cache.allocate(1000);
  EXPECT_NE(a, b);  // the compute stream never gets the branch's block
  streams.current = Stream::branch;
  void* c = cache.allocate(1000);
  EXPECT_EQ(a, c);
  EXPECT_EQ(g_raw_allocs, 2);
  EXPECT_TRUE(streams.events.empty());
  cache.deallocate(c, 1000);
  streams.current = Stream::compute;
  cache.deallocate(b, 1000);
}

TEST_F(StreamAwareCache, ComputeBlockFreedOnSideStreamWaitsForItsEvent) {
  void* a = cache.allocate(1000);  // compute's block, e.g. an input the branch reads
  streams.current = Stream::branch;
  cache.deallocate(a, 1000);  // the host drops it while the branch may still read it
  EXPECT_EQ(cache.pending_blocks(), 1u);
  ASSERT_EQ(streams.events.size(), 1u);
  EXPECT_EQ(streams.events[0]->stream, Stream::branch);
  streams.current = Stream::compute;
  void* b = cache.allocate(1000);
  EXPECT_NE(a, b);  // the branch has not passed the free yet
  streams.finish(Stream::branch);
  void* c = cache.allocate(1000);
  EXPECT_EQ(a, c);  // back in compute's pool once the event completed
  EXPECT_EQ(cache.pending_blocks(), 0u);
  EXPECT_EQ(cache.stats().in_use, 2 * caching_bucket_size(1000));
  cache.deallocate(b, 1000);
  cache.deallocate(c, 1000);
  EXPECT_EQ(cache.stats().cached, 2 * caching_bucket_size(1000));
}

TEST_F(StreamAwareCache, SideBlockFreedOnComputeReturnsToTheSidePool) {
  streams.current = Stream::branch;
  void* a = cache.allocate(4096);  // a branch activation the backward reads on compute
  streams.current = Stream::compute;
  cache.deallocate(a, 4096);
  EXPECT_EQ(cache.pending_blocks(), 1u);
  EXPECT_EQ(streams.events[0]->stream, Stream::compute);
  streams.current = Stream::branch;
  void* b = cache.allocate(4096);
  EXPECT_NE(a, b);  // compute has not passed the free yet
  streams.finish(Stream::compute);
  void* c = cache.allocate(4096);
  EXPECT_EQ(a, c);
  streams.current = Stream::compute;
  void* d = cache.allocate(4096);
  EXPECT_NE(d, a);
  EXPECT_NE(d, b);
  streams.current = Stream::branch;
  cache.deallocate(b, 4096);
  cache.deallocate(c, 4096);
  streams.current = Stream::compute;
  cache.deallocate(d, 4096);
}

TEST_F(StreamAwareCache, EventsCompleteInRecordOrderAndAreReused) {
  std::vector<void*> blocks;
  for (int i = 0; i < 3; ++i) blocks.push_back(cache.allocate(512));
  streams.current = Stream::branch;
  for (void* p : blocks) cache.deallocate(p, 512);
  EXPECT_EQ(cache.pending_blocks(), 3u);
  streams.done[Stream::branch] = 2;  // the branch passed the first two frees only
  streams.current = Stream::compute;
  void* x = cache.allocate(512);
  void* y = cache.allocate(512);
  EXPECT_EQ(cache.pending_blocks(), 1u);
  EXPECT_TRUE((x == blocks[0] && y == blocks[1]) || (x == blocks[1] && y == blocks[0]));
  // The next cross-stream frees reuse the completed events instead of creating new ones.
  streams.current = Stream::branch;
  cache.deallocate(x, 512);
  cache.deallocate(y, 512);
  EXPECT_EQ(streams.events.size(), 3u);
  EXPECT_EQ(g_raw_allocs, 3);
  streams.finish(Stream::branch);
  streams.current = Stream::compute;
  for (int i = 0; i < 3; ++i) blocks[i] = cache.allocate(512);
  EXPECT_EQ(g_raw_allocs, 3);
  for (void* p : blocks) cache.deallocate(p, 512);
}

TEST_F(StreamAwareCache, OutOfMemoryWaitsForPendingBlocksAndReleasesThem) {
  void* a = cache.allocate(2048);
  streams.current = Stream::branch;
  cache.deallocate(a, 2048);
  streams.current = Stream::compute;
  g_out_of_memory = true;
  void* b = cache.allocate(8192);
  EXPECT_NE(b, nullptr);
  EXPECT_EQ(streams.synchronized, 1);
  EXPECT_EQ(cache.pending_blocks(), 0u);
  EXPECT_EQ(cache.stats().cached, 0u);
  cache.deallocate(b, 8192);
}

TEST(StreamFork, IsANoOpOnTheCpuContext) {
  Context& cpu = Context::get(Device::cpu());
  {
    StreamFork fork(cpu, Stream::branch);
    {
      StreamScope on_side(cpu, Stream::branch);
      EXPECT_EQ(cpu.current_stream(), Stream::branch);
    }
    fork.join();
  }
  EXPECT_EQ(cpu.current_stream(), Stream::compute);
  EXPECT_THROW({ StreamFork same(cpu, Stream::compute); }, ValueError);
}

}  // namespace
}  // namespace cromss
