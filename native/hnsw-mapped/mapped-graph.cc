// clipdex's read-only HNSW graph: a sealed segment file (hnswlib's own layout, written by
// hnswlib-node) memory-mapped instead of read.
//
// Why this exists: hnswlib's loadIndex walks the file once with two lseek calls per element to
// check it, then copies every byte into freshly faulted memory; at 500k elements of 512-d that
// is about a second of CPU per segment, which is most of a 1M library's open. Mapping the file
// shares the kernel's page cache instead: open costs one pass over the labels and links (which
// also checks every link points inside the graph, something loadIndex does not do), and the
// vectors are paged in by the searches that need them. Search itself is hnswlib's, unchanged,
// compiled from the headers hnswlib-node ships, so results equal hnswlib-node's on the same file.
//
// The mapping is MAP_PRIVATE: a tombstone (markDelete) dirties one page of this process only,
// and a sealed file is never written again (the store replaces files by rename, never in place).

#include <napi.h>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <exception>
#include <memory>
#include <thread>
#include <stdexcept>
#include <string>
#include <vector>

#include "hnswlib.h"

namespace {

using hnswlib::labeltype;
using hnswlib::linklistsizeint;
using hnswlib::tableint;

// hnswlib's header: six size_t, an int and a tableint, three size_t, a double, a size_t.
constexpr size_t kHeaderBytes = 96;
// Far above any graph clipdex builds (M 16..64); a bigger value means the header is not hnswlib's.
constexpr size_t kMaxDegree = 4096;

template <typename T>
T ReadAt(const char* base, size_t offset) {
  T value;
  std::memcpy(&value, base + offset, sizeof(T));
  return value;
}

class CorruptGraph : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class MappedHnsw : public hnswlib::HierarchicalNSW<float> {
 public:
  explicit MappedHnsw(hnswlib::SpaceInterface<float>* space) : HierarchicalNSW<float>(space) {}

  ~MappedHnsw() override {
    // The base destructor frees data_level0_memory_, which points into the mapping here.
    if (mapping_ != nullptr) munmap(mapping_, mappingBytes_);
    data_level0_memory_ = nullptr;
  }

  void Map(const std::string& path, hnswlib::SpaceInterface<float>* space) {
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw std::runtime_error(std::string("cannot open: ") + std::strerror(errno));
    struct stat info;
    if (fstat(fd, &info) != 0) {
      int code = errno;
      close(fd);
      throw std::runtime_error(std::string("cannot stat: ") + std::strerror(code));
    }
    const size_t fileBytes = static_cast<size_t>(info.st_size);
    if (fileBytes < kHeaderBytes) {
      close(fd);
      throw CorruptGraph("file is shorter than an hnswlib header");
    }
    void* mapping = mmap(nullptr, fileBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    int code = errno;
    close(fd);
    if (mapping == MAP_FAILED) throw std::runtime_error(std::string("cannot map: ") + std::strerror(code));
    mapping_ = static_cast<char*>(mapping);
    mappingBytes_ = fileBytes;
    // Start reading a file that is not in the page cache yet; the labels pass below then touches
    // every page once, so searches afterwards find the graph resident. (MADV_SEQUENTIAL would let
    // the kernel drop those pages again behind the pass.)
    madvise(mapping_, mappingBytes_, MADV_WILLNEED);
    ReadHeader(space);
    IndexElements();
  }

  const std::vector<double>& Labels() const { return labels_; }

 private:
  void ReadHeader(hnswlib::SpaceInterface<float>* space) {
    const char* h = mapping_;
    offsetLevel0_ = ReadAt<size_t>(h, 0);
    const size_t savedCapacity = ReadAt<size_t>(h, 8);
    const size_t count = ReadAt<size_t>(h, 16);
    size_data_per_element_ = ReadAt<size_t>(h, 24);
    label_offset_ = ReadAt<size_t>(h, 32);
    offsetData_ = ReadAt<size_t>(h, 40);
    maxlevel_ = ReadAt<int>(h, 48);
    enterpoint_node_ = ReadAt<tableint>(h, 52);
    maxM_ = ReadAt<size_t>(h, 56);
    maxM0_ = ReadAt<size_t>(h, 64);
    M_ = ReadAt<size_t>(h, 72);
    mult_ = ReadAt<double>(h, 80);
    ef_construction_ = ReadAt<size_t>(h, 88);

    data_size_ = space->get_data_size();
    fstdistfunc_ = space->get_dist_func();
    dist_func_param_ = space->get_dist_func_param();
    size_links_per_element_ = maxM_ * sizeof(tableint) + sizeof(linklistsizeint);
    size_links_level0_ = maxM0_ * sizeof(tableint) + sizeof(linklistsizeint);

    if (offsetLevel0_ != 0 || maxM0_ == 0 || maxM0_ > kMaxDegree || maxM_ == 0 || maxM_ > kMaxDegree ||
        offsetData_ != size_links_level0_ || label_offset_ != offsetData_ + data_size_ ||
        size_data_per_element_ != label_offset_ + sizeof(labeltype) || count > savedCapacity ||
        !(mult_ > 0) || !std::isfinite(mult_)) {
      throw CorruptGraph("header does not describe a graph of this dimension");
    }
    if (count > (mappingBytes_ - kHeaderBytes) / size_data_per_element_) {
      throw CorruptGraph("file is shorter than its element count");
    }
    if (count > 0 && (enterpoint_node_ >= count || maxlevel_ < 0)) throw CorruptGraph("entry point is outside the graph");
    cur_element_count = count;
    max_elements_ = count;
    revSize_ = 1.0 / mult_;
    ef_ = 10;
    data_level0_memory_ = mapping_ + kHeaderBytes;
  }

  // One pass over the elements: level-0 links checked, upper link lists copied out (hnswlib
  // frees them one by one), labels indexed, deletion marks counted.
  void IndexElements() {
    const size_t count = cur_element_count;
    std::vector<std::mutex>(count).swap(link_list_locks_);
    std::vector<std::mutex>(MAX_LABEL_OPERATION_LOCKS).swap(label_op_locks_);
    visited_list_pool_.reset(new hnswlib::VisitedListPool(1, count));
    element_levels_ = std::vector<int>(count, 0);
    linkLists_ = static_cast<char**>(calloc(count > 0 ? count : 1, sizeof(char*)));
    if (linkLists_ == nullptr) throw std::runtime_error("out of memory for link lists");
    label_lookup_.reserve(count);
    labels_.resize(count);

    size_t cursor = kHeaderBytes + count * size_data_per_element_;
    for (size_t i = 0; i < count; i++) {
      CheckLinks(get_linklist0(static_cast<tableint>(i)), maxM0_);
      const labeltype label = getExternalLabel(static_cast<tableint>(i));
      if (!label_lookup_.emplace(label, static_cast<tableint>(i)).second) throw CorruptGraph("a label appears twice");
      labels_[i] = static_cast<double>(label);
      if (isMarkedDeleted(static_cast<tableint>(i))) num_deleted_ += 1;

      if (cursor + sizeof(unsigned int) > mappingBytes_) throw CorruptGraph("link lists end early");
      const unsigned int listBytes = ReadAt<unsigned int>(mapping_, cursor);
      cursor += sizeof(unsigned int);
      if (listBytes == 0) continue;
      if (listBytes % size_links_per_element_ != 0 || listBytes > mappingBytes_ - cursor) {
        throw CorruptGraph("a link list has a bad length");
      }
      const int levels = static_cast<int>(listBytes / size_links_per_element_);
      if (levels > maxlevel_) throw CorruptGraph("an element is above the top level");
      char* lists = static_cast<char*>(malloc(listBytes));
      if (lists == nullptr) throw std::runtime_error("out of memory for link lists");
      std::memcpy(lists, mapping_ + cursor, listBytes);
      linkLists_[i] = lists;
      element_levels_[i] = levels;
      cursor += listBytes;
      for (int level = 0; level < levels; level++) {
        CheckLinks(reinterpret_cast<linklistsizeint*>(lists + level * size_links_per_element_), maxM_);
      }
    }
    if (cursor != mappingBytes_) throw CorruptGraph("bytes follow the last link list");
    if (count > 0 && element_levels_[enterpoint_node_] != maxlevel_) throw CorruptGraph("entry point is not on the top level");
  }

  void CheckLinks(const linklistsizeint* list, size_t maxDegree) const {
    // hnswlib keeps the degree in the low 16 bits; the third byte is the deletion mark.
    const size_t degree = *reinterpret_cast<const unsigned short*>(list);
    if (degree > maxDegree) throw CorruptGraph("a node has more links than the graph allows");
    const tableint* targets = reinterpret_cast<const tableint*>(list + 1);
    for (size_t j = 0; j < degree; j++) {
      if (targets[j] >= cur_element_count) throw CorruptGraph("a link points outside the graph");
    }
  }

  char* mapping_ = nullptr;
  size_t mappingBytes_ = 0;
  std::vector<double> labels_;
};

// Calls a JS predicate for each candidate label, as hnswlib-node's filter does.
class JsFilter : public hnswlib::BaseFilterFunctor {
 public:
  JsFilter(Napi::Env env, Napi::Function predicate) : env_(env), predicate_(predicate) {}
  bool operator()(labeltype label) override {
    return predicate_.Call({Napi::Number::New(env_, static_cast<double>(label))}).ToBoolean().Value();
  }

 private:
  Napi::Env env_;
  Napi::Function predicate_;
};

class MappedGraph : public Napi::ObjectWrap<MappedGraph> {
 public:
  static Napi::Object Init(Napi::Env env, Napi::Object exports) {
    Napi::Function ctor = DefineClass(
        env, "MappedGraph",
        {InstanceMethod("open", &MappedGraph::Open), InstanceMethod("close", &MappedGraph::Close),
         InstanceMethod("getCurrentCount", &MappedGraph::GetCurrentCount),
         InstanceMethod("getDeletedCount", &MappedGraph::GetDeletedCount),
         InstanceMethod("getNumDimensions", &MappedGraph::GetNumDimensions),
         InstanceMethod("labels", &MappedGraph::LabelList), InstanceMethod("hasLabel", &MappedGraph::HasLabel),
         InstanceMethod("markDelete", &MappedGraph::MarkDelete), InstanceMethod("setEf", &MappedGraph::SetEf),
         InstanceMethod("searchKnn", &MappedGraph::SearchKnn), StaticMethod("searchMany", &MappedGraph::SearchMany)});
    exports.Set("MappedGraph", ctor);
    return exports;
  }

  explicit MappedGraph(const Napi::CallbackInfo& info) : Napi::ObjectWrap<MappedGraph>(info) {
    if (info.Length() < 1 || !info[0].IsNumber()) throw Napi::TypeError::New(info.Env(), "dimension expected");
    const int64_t dim = info[0].As<Napi::Number>().Int64Value();
    if (dim < 1 || dim > 65536) throw Napi::RangeError::New(info.Env(), "dimension out of range");
    dim_ = static_cast<size_t>(dim);
    space_ = std::make_unique<hnswlib::InnerProductSpace>(dim_);
  }

  // Maps and indexes the file on a libuv thread; several graphs open at once.
  Napi::Value Open(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsString()) throw Napi::TypeError::New(env, "file path expected");
    if (opening_ || graph_) throw Napi::Error::New(env, "graph is already open");
    opening_ = true;
    auto* worker = new OpenWorker(env, this, info[0].As<Napi::String>().Utf8Value());
    Napi::Promise promise = worker->Promise();
    worker->Queue();
    return promise;
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    if (opening_) throw Napi::Error::New(info.Env(), "graph is still opening");
    graph_.reset();
    return info.Env().Undefined();
  }

  Napi::Value GetCurrentCount(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(Graph(info.Env()).cur_element_count));
  }

  Napi::Value GetDeletedCount(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(Graph(info.Env()).num_deleted_));
  }

  Napi::Value GetNumDimensions(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(dim_));
  }

  // Every label in graph order, as one Float64Array (labels are item ids, not always < 2^32).
  Napi::Value LabelList(const Napi::CallbackInfo& info) {
    const std::vector<double>& labels = Graph(info.Env()).Labels();
    Napi::Float64Array out = Napi::Float64Array::New(info.Env(), labels.size());
    if (!labels.empty()) std::memcpy(out.Data(), labels.data(), labels.size() * sizeof(double));
    return out;
  }

  Napi::Value HasLabel(const Napi::CallbackInfo& info) {
    MappedHnsw& graph = Graph(info.Env());
    const labeltype label = LabelArg(info, 0);
    return Napi::Boolean::New(info.Env(), graph.label_lookup_.find(label) != graph.label_lookup_.end());
  }

  Napi::Value MarkDelete(const Napi::CallbackInfo& info) {
    MappedHnsw& graph = Graph(info.Env());
    const labeltype label = LabelArg(info, 0);
    try {
      graph.markDelete(label);
    } catch (const std::runtime_error& error) {
      throw Napi::Error::New(info.Env(), error.what());
    }
    return info.Env().Undefined();
  }

  Napi::Value SetEf(const Napi::CallbackInfo& info) {
    MappedHnsw& graph = Graph(info.Env());
    if (info.Length() < 1 || !info[0].IsNumber()) throw Napi::TypeError::New(info.Env(), "ef expected");
    const int64_t ef = info[0].As<Napi::Number>().Int64Value();
    if (ef < 1) throw Napi::RangeError::New(info.Env(), "ef must be positive");
    graph.setEf(static_cast<size_t>(ef));
    return info.Env().Undefined();
  }

  // searchKnn(query: Float32Array, k, filter?) -> { neighbors, distances }, nearest first,
  // distances 1 - cosine like hnswlib-node's 'cosine' space (the query is normalised here).
  Napi::Value SearchKnn(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    MappedHnsw& graph = Graph(env);
    if (info.Length() < 2 || !info[0].IsTypedArray() || !info[1].IsNumber()) {
      throw Napi::TypeError::New(env, "searchKnn(query: Float32Array, k: number, filter?) expected");
    }
    std::vector<float> normalised = NormalisedQuery(env, info[0], dim_);
    const size_t k = PositiveArg(env, info[1], "k");
    std::unique_ptr<JsFilter> filter;
    if (info.Length() > 2 && info[2].IsFunction()) filter = std::make_unique<JsFilter>(env, info[2].As<Napi::Function>());
    auto result = graph.searchKnn(normalised.data(), k, filter.get());
    return ResultObject(env, result);
  }

  // searchMany(graphs, query, ks, efs, threads) -> one { neighbors, distances } per graph: the
  // graphs (distinct, open, of one dimension) are searched at once on up to `threads` threads,
  // the calling one included. No filter: a JS predicate can only run on the JS thread.
  static Napi::Value SearchMany(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 5 || !info[0].IsArray() || !info[2].IsArray() || !info[3].IsArray() || !info[4].IsNumber()) {
      throw Napi::TypeError::New(env, "searchMany(graphs, query, ks, efs, threads) expected");
    }
    Napi::Array list = info[0].As<Napi::Array>();
    Napi::Array ks = info[2].As<Napi::Array>();
    Napi::Array efs = info[3].As<Napi::Array>();
    const size_t count = list.Length();
    if (count == 0 || ks.Length() != count || efs.Length() != count) {
      throw Napi::TypeError::New(env, "searchMany: one k and one ef per graph");
    }
    std::vector<MappedHnsw*> graphs(count);
    std::vector<size_t> limits(count);
    size_t dim = 0;
    for (size_t i = 0; i < count; i++) {
      Napi::Value item = list.Get(static_cast<uint32_t>(i));
      if (!item.IsObject()) throw Napi::TypeError::New(env, "searchMany: graphs must be MappedGraph objects");
      MappedGraph* owner = Napi::ObjectWrap<MappedGraph>::Unwrap(item.As<Napi::Object>());
      if (i > 0 && owner->dim_ != dim) throw Napi::TypeError::New(env, "searchMany: graphs of different dimensions");
      dim = owner->dim_;
      graphs[i] = &owner->Graph(env);
      limits[i] = PositiveArg(env, ks.Get(static_cast<uint32_t>(i)), "k");
      // ef is the graph's setting in hnswlib: set here, on the JS thread, before any search starts.
      graphs[i]->setEf(PositiveArg(env, efs.Get(static_cast<uint32_t>(i)), "ef"));
    }
    for (size_t i = 0; i < count; i++) {
      if (std::find(graphs.begin() + i + 1, graphs.end(), graphs[i]) != graphs.end()) {
        throw Napi::TypeError::New(env, "searchMany: a graph is listed twice");
      }
    }
    const std::vector<float> normalised = NormalisedQuery(env, info[1], dim);
    const size_t threads = std::min(count, std::max<size_t>(1, PositiveArg(env, info[4], "threads")));

    using Result = std::priority_queue<std::pair<float, labeltype>>;
    std::vector<Result> results(count);
    std::vector<std::exception_ptr> errors(threads);
    auto work = [&](size_t lane) {
      try {
        for (size_t i = lane; i < count; i += threads) results[i] = graphs[i]->searchKnn(normalised.data(), limits[i]);
      } catch (...) {
        errors[lane] = std::current_exception();
      }
    };
    std::vector<std::thread> helpers;
    helpers.reserve(threads - 1);
    for (size_t lane = 1; lane < threads; lane++) helpers.emplace_back(work, lane);
    work(0);
    for (std::thread& helper : helpers) helper.join();
    for (const std::exception_ptr& error : errors) {
      if (!error) continue;
      try {
        std::rethrow_exception(error);
      } catch (const std::exception& failure) {
        throw Napi::Error::New(env, failure.what());
      }
    }
    Napi::Array out = Napi::Array::New(env, count);
    for (size_t i = 0; i < count; i++) out.Set(static_cast<uint32_t>(i), ResultObject(env, results[i]));
    return out;
  }

 private:
  class OpenWorker : public Napi::AsyncWorker {
   public:
    OpenWorker(Napi::Env env, MappedGraph* owner, std::string path)
        : Napi::AsyncWorker(env), owner_(owner), path_(std::move(path)), deferred_(Napi::Promise::Deferred::New(env)) {
      owner_->Ref();
    }
    ~OpenWorker() override { owner_->Unref(); }
    Napi::Promise Promise() { return deferred_.Promise(); }

   protected:
    void Execute() override {
      try {
        auto graph = std::make_unique<MappedHnsw>(owner_->space_.get());
        graph->Map(path_, owner_->space_.get());
        graph_ = std::move(graph);
      } catch (const CorruptGraph& error) {
        corrupt_ = true;
        SetError(error.what());
      } catch (const std::exception& error) {
        SetError(error.what());
      }
    }
    void OnOK() override {
      owner_->opening_ = false;
      owner_->graph_ = std::move(graph_);
      deferred_.Resolve(Env().Undefined());
    }
    void OnError(const Napi::Error& error) override {
      owner_->opening_ = false;
      error.Set("corrupt", Napi::Boolean::New(Env(), corrupt_));
      deferred_.Reject(error.Value());
    }

   private:
    MappedGraph* owner_;
    std::string path_;
    Napi::Promise::Deferred deferred_;
    std::unique_ptr<MappedHnsw> graph_;
    bool corrupt_ = false;
  };

  MappedHnsw& Graph(Napi::Env env) {
    if (!graph_) throw Napi::Error::New(env, "graph is not open");
    return *graph_;
  }

  static std::vector<float> NormalisedQuery(Napi::Env env, Napi::Value value, size_t dim) {
    if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array ||
        value.As<Napi::TypedArray>().ElementLength() != dim) {
      throw Napi::TypeError::New(env, "query must be a Float32Array of the graph's dimension");
    }
    Napi::Float32Array query = value.As<Napi::Float32Array>();
    std::vector<float> normalised(query.Data(), query.Data() + dim);
    double norm = 0;
    for (float x : normalised) norm += static_cast<double>(x) * x;
    if (norm > 0) {
      const float scale = static_cast<float>(1.0 / std::sqrt(norm));
      for (float& x : normalised) x *= scale;
    }
    return normalised;
  }

  static size_t PositiveArg(Napi::Env env, Napi::Value value, const char* name) {
    if (!value.IsNumber()) throw Napi::TypeError::New(env, std::string(name) + " must be a number");
    const int64_t n = value.As<Napi::Number>().Int64Value();
    if (n < 1) throw Napi::RangeError::New(env, std::string(name) + " must be positive");
    return static_cast<size_t>(n);
  }

  static Napi::Object ResultObject(Napi::Env env, std::priority_queue<std::pair<float, labeltype>>& result) {
    const size_t found = result.size();
    Napi::Array neighbors = Napi::Array::New(env, found);
    Napi::Array distances = Napi::Array::New(env, found);
    for (size_t i = found; i-- > 0;) {
      neighbors.Set(static_cast<uint32_t>(i), Napi::Number::New(env, static_cast<double>(result.top().second)));
      distances.Set(static_cast<uint32_t>(i), Napi::Number::New(env, result.top().first));
      result.pop();
    }
    Napi::Object out = Napi::Object::New(env);
    out.Set("neighbors", neighbors);
    out.Set("distances", distances);
    return out;
  }

  static labeltype LabelArg(const Napi::CallbackInfo& info, size_t at) {
    if (info.Length() <= at || !info[at].IsNumber()) throw Napi::TypeError::New(info.Env(), "label expected");
    const double value = info[at].As<Napi::Number>().DoubleValue();
    if (!(value >= 0) || value != std::floor(value)) throw Napi::RangeError::New(info.Env(), "label must be a whole number");
    return static_cast<labeltype>(value);
  }

  size_t dim_ = 0;
  std::unique_ptr<hnswlib::InnerProductSpace> space_;
  std::unique_ptr<MappedHnsw> graph_;
  bool opening_ = false;
};

Napi::Object InitModule(Napi::Env env, Napi::Object exports) { return MappedGraph::Init(env, exports); }

}  // namespace

NODE_API_MODULE(clipdex_hnsw_mapped, InitModule)
