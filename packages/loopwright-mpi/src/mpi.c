// loopwright's MPI binding: the few collectives data-parallel training needs, on MPI_COMM_WORLD.
// Every call blocks until its part is done (the caller's optimizer step is synchronous).
// Float32 arrays are reduced in place; the mean is computed on rank 0 and broadcast, so every
// rank holds bit-identical values whatever reduction algorithm the MPI library picks.
#include <mpi.h>
#include <node_api.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int initialized_here = 0;

#define CHECK_NAPI(env, call)                                      \
  do {                                                             \
    if ((call) != napi_ok) {                                       \
      napi_throw_error((env), NULL, "loopwright-mpi: " #call " failed"); \
      return NULL;                                                 \
    }                                                              \
  } while (0)

static napi_value throw_mpi(napi_env env, const char* what, int code) {
  char message[MPI_MAX_ERROR_STRING + 64];
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(code, text, &length);
  snprintf(message, sizeof message, "loopwright-mpi: %s failed: %s", what, text);
  napi_throw_error(env, NULL, message);
  return NULL;
}

static void finalize(void* unused) {
  (void)unused;
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (initialized_here && !finalized) MPI_Finalize();
}

static napi_value number(napi_env env, int value) {
  napi_value out;
  if (napi_create_int32(env, value, &out) != napi_ok) return NULL;
  return out;
}

// init(): start MPI once (later calls do nothing); MPI_Finalize runs when Node exits.
static napi_value init(napi_env env, napi_callback_info info) {
  (void)info;
  int already = 0;
  MPI_Initialized(&already);
  if (!already) {
    int provided = 0;
    int code = MPI_Init_thread(NULL, NULL, MPI_THREAD_SINGLE, &provided);
    if (code != MPI_SUCCESS) return throw_mpi(env, "MPI_Init_thread", code);
    // Errors come back as codes (turned into JS errors) instead of aborting the job.
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    initialized_here = 1;
    napi_add_env_cleanup_hook(env, finalize, NULL);
  }
  return NULL;
}

static napi_value rank(napi_env env, napi_callback_info info) {
  (void)info;
  int value = 0;
  int code = MPI_Comm_rank(MPI_COMM_WORLD, &value);
  if (code != MPI_SUCCESS) return throw_mpi(env, "MPI_Comm_rank", code);
  return number(env, value);
}

static napi_value size(napi_env env, napi_callback_info info) {
  (void)info;
  int value = 0;
  int code = MPI_Comm_size(MPI_COMM_WORLD, &value);
  if (code != MPI_SUCCESS) return throw_mpi(env, "MPI_Comm_size", code);
  return number(env, value);
}

// The Float32Array argument `index` as a pointer and element count; throws on anything else.
static int float32_arg(napi_env env, napi_value value, float** data, size_t* length) {
  napi_typedarray_type type;
  napi_value buffer;
  size_t offset;
  void* raw;
  bool is_typed = false;
  napi_is_typedarray(env, value, &is_typed);
  if (!is_typed || napi_get_typedarray_info(env, value, &type, length, &raw, &buffer, &offset) != napi_ok ||
      type != napi_float32_array) {
    napi_throw_type_error(env, NULL, "loopwright-mpi: expected a Float32Array");
    return 0;
  }
  *data = (float*)raw;
  return 1;
}

static int root_arg(napi_env env, napi_value value, int* root) {
  if (napi_get_value_int32(env, value, root) != napi_ok) {
    napi_throw_type_error(env, NULL, "loopwright-mpi: expected an integer root rank");
    return 0;
  }
  return 1;
}

// Large arrays go in pieces: MPI counts are ints.
#define PIECE (1 << 30)

// allReduceMean(values: Float32Array): values ← mean over all ranks, in place.
static napi_value all_reduce_mean(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK_NAPI(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  float* data;
  size_t length;
  if (argc < 1 || !float32_arg(env, argv[0], &data, &length)) return NULL;
  int me = 0, world = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &me);
  MPI_Comm_size(MPI_COMM_WORLD, &world);
  for (size_t offset = 0; offset < length; offset += PIECE) {
    int count = (int)(length - offset < PIECE ? length - offset : PIECE);
    float* piece = data + offset;
    // Rank 0 reduces in place; the others only send.
    const void* send = me == 0 ? MPI_IN_PLACE : piece;
    int code = MPI_Reduce(send, me == 0 ? piece : NULL, count, MPI_FLOAT, MPI_SUM, 0, MPI_COMM_WORLD);
    if (code != MPI_SUCCESS) return throw_mpi(env, "MPI_Reduce", code);
    if (me == 0) for (int i = 0; i < count; i++) piece[i] /= (float)world;
    code = MPI_Bcast(piece, count, MPI_FLOAT, 0, MPI_COMM_WORLD);
    if (code != MPI_SUCCESS) return throw_mpi(env, "MPI_Bcast", code);
  }
  return NULL;
}

// broadcast(values: Float32Array, root: number): values ← root's, in place.
static napi_value broadcast(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK_NAPI(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  float* data;
  size_t length;
  int root;
  if (argc < 2 || !float32_arg(env, argv[0], &data, &length) || !root_arg(env, argv[1], &root)) return NULL;
  for (size_t offset = 0; offset < length; offset += PIECE) {
    int count = (int)(length - offset < PIECE ? length - offset : PIECE);
    int code = MPI_Bcast(data + offset, count, MPI_FLOAT, root, MPI_COMM_WORLD);
    if (code != MPI_SUCCESS) return throw_mpi(env, "MPI_Bcast", code);
  }
  return NULL;
}

// allGather(values: Float32Array): [every rank's values in rank order, Int32Array of their lengths].
// One MPI_Allgather of the lengths and one MPI_Allgatherv of the values: two meetings, where a gather
// built from broadcasts takes 2 per rank.
static napi_value all_gather(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK_NAPI(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  float* data;
  size_t length;
  if (argc < 1 || !float32_arg(env, argv[0], &data, &length)) return NULL;
  if (length > INT_MAX) {
    napi_throw_range_error(env, NULL, "loopwright-mpi: allGather takes at most 2^31 - 1 floats per rank");
    return NULL;
  }
  int world = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &world);
  int mine = (int)length;
  void* counts_raw;
  napi_value counts_buffer;
  CHECK_NAPI(env, napi_create_arraybuffer(env, (size_t)world * sizeof(int), &counts_raw, &counts_buffer));
  int* counts = (int*)counts_raw;
  int code = MPI_Allgather(&mine, 1, MPI_INT, counts, 1, MPI_INT, MPI_COMM_WORLD);
  if (code != MPI_SUCCESS) return throw_mpi(env, "MPI_Allgather", code);
  long long total = 0;
  for (int r = 0; r < world; r++) total += counts[r];
  if (total > INT_MAX) {
    napi_throw_range_error(env, NULL, "loopwright-mpi: allGather's ranks hold more than 2^31 - 1 floats together");
    return NULL;
  }
  int* displacements = (int*)malloc((size_t)world * sizeof(int));
  if (displacements == NULL) {
    napi_throw_error(env, NULL, "loopwright-mpi: out of memory");
    return NULL;
  }
  for (int r = 0, at = 0; r < world; at += counts[r], r++) displacements[r] = at;
  void* values_raw;
  napi_value values_buffer;
  if (napi_create_arraybuffer(env, (size_t)total * sizeof(float), &values_raw, &values_buffer) != napi_ok) {
    free(displacements);
    napi_throw_error(env, NULL, "loopwright-mpi: napi_create_arraybuffer failed");
    return NULL;
  }
  code = MPI_Allgatherv(data, mine, MPI_FLOAT, values_raw, counts, displacements, MPI_FLOAT, MPI_COMM_WORLD);
  free(displacements);
  if (code != MPI_SUCCESS) return throw_mpi(env, "MPI_Allgatherv", code);
  napi_value values, lengths, out;
  CHECK_NAPI(env, napi_create_typedarray(env, napi_float32_array, (size_t)total, values_buffer, 0, &values));
  CHECK_NAPI(env, napi_create_typedarray(env, napi_int32_array, (size_t)world, counts_buffer, 0, &lengths));
  CHECK_NAPI(env, napi_create_array_with_length(env, 2, &out));
  CHECK_NAPI(env, napi_set_element(env, out, 0, values));
  CHECK_NAPI(env, napi_set_element(env, out, 1, lengths));
  return out;
}

static napi_value barrier(napi_env env, napi_callback_info info) {
  (void)info;
  int code = MPI_Barrier(MPI_COMM_WORLD);
  if (code != MPI_SUCCESS) return throw_mpi(env, "MPI_Barrier", code);
  return NULL;
}

static napi_value version(napi_env env, napi_callback_info info) {
  (void)info;
  char text[MPI_MAX_LIBRARY_VERSION_STRING];
  int length = 0;
  MPI_Get_library_version(text, &length);
  // The first line names the library and its version.
  char* newline = strchr(text, '\n');
  if (newline != NULL) *newline = '\0';
  napi_value out;
  CHECK_NAPI(env, napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &out));
  return out;
}

static napi_value module_init(napi_env env, napi_value exports) {
  napi_property_descriptor properties[] = {
    {"init", NULL, init, NULL, NULL, NULL, napi_default, NULL},
    {"rank", NULL, rank, NULL, NULL, NULL, napi_default, NULL},
    {"size", NULL, size, NULL, NULL, NULL, napi_default, NULL},
    {"allReduceMean", NULL, all_reduce_mean, NULL, NULL, NULL, napi_default, NULL},
    {"broadcast", NULL, broadcast, NULL, NULL, NULL, napi_default, NULL},
    {"allGather", NULL, all_gather, NULL, NULL, NULL, napi_default, NULL},
    {"barrier", NULL, barrier, NULL, NULL, NULL, napi_default, NULL},
    {"version", NULL, version, NULL, NULL, NULL, napi_default, NULL},
  };
  size_t count = sizeof properties / sizeof properties[0];
  if (napi_define_properties(env, exports, count, properties) != napi_ok) return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, module_init)
