/* safetensors.h — read and write the safetensors tensor file format.
 *
 * Layout: 8-byte little-endian header length N, N bytes of JSON header
 * {"NAME": {"dtype": "F32", "shape": [2, 3], "data_offsets": [BEGIN, END]},
 *  ..., "__metadata__": {"key": "value"}}, then the data section; offsets are
 * relative to the start of the data section.
 *
 * The reader maps the file and checks every bound before anything is read:
 * file shorter than its header, header over 100 MB or not a JSON object,
 * unknown dtype, bad shape or offsets, shape product overflow, size not equal
 * to elements x dtype size, data outside the data section, overlapping
 * tensors, duplicate names. Any of these is an error with a message, never a
 * crash or a read out of bounds.
 *
 *   st_file *f = st_open("model.safetensors", err, sizeof err);
 *   const st_tensor *t = st_find(f, "embeddings.word_embeddings.weight");
 *   float *w = malloc(t->numel * sizeof *w);
 *   if (st_to_f32(f, t, w, err, sizeof err)) ...
 *   st_close(f);
 *
 * The writer writes atomically (base/fileio.h: a temporary file in the same
 * folder, fsync, rename), pads the header with spaces to a multiple of 8 bytes and writes
 * tensors in the order given. Host byte order must be little-endian. */
#ifndef GCSE_SAFETENSORS_H
#define GCSE_SAFETENSORS_H
#include <stddef.h>
#include <stdint.h>

enum st_dtype {
	ST_BOOL, ST_U8, ST_I8, ST_F8_E5M2, ST_F8_E4M3, ST_I16, ST_U16, ST_F16,
	ST_BF16, ST_I32, ST_U32, ST_F32, ST_F64, ST_I64, ST_U64, ST_NDTYPES
};

#define ST_MAX_DIMS 8
#define ST_MAX_HEADER (100u * 1000 * 1000)

typedef struct st_tensor {
	char *name;
	int dtype;                      /* enum st_dtype */
	int ndim;                       /* 0 (scalar) .. ST_MAX_DIMS */
	int64_t shape[ST_MAX_DIMS];
	size_t numel;                   /* product of shape (1 for a scalar) */
	size_t begin, end;              /* byte range in the data section */
} st_tensor;

typedef struct st_file {
	int ntensors;
	st_tensor *tensors;             /* in header order */
	const unsigned char *data;      /* data section */
	size_t data_len;
	int nmeta;                      /* __metadata__ string pairs */
	char **meta_keys, **meta_vals;
	void *map;                      /* private: mapping or NULL */
	size_t map_len;
} st_file;

/* Open and check a file (memory-mapped). NULL with a message on error. */
st_file *st_open(const char *path, char *err, size_t errlen);
/* The same on a buffer in memory; the buffer must outlive the st_file. */
st_file *st_open_mem(const void *buf, size_t len, char *err, size_t errlen);
void st_close(st_file *f);

const st_tensor *st_find(const st_file *f, const char *name);
/* Value of a __metadata__ key, or NULL. */
const char *st_meta(const st_file *f, const char *key);

const char *st_dtype_name(int dtype);
int st_dtype_parse(const char *s);          /* -1 when unknown */
size_t st_dtype_size(int dtype);

/* Convert a floating-point tensor (F32, F16, BF16, F64) to float32; out has
 * t->numel elements. 0, or -1 with a message for any other dtype. */
int st_to_f32(const st_file *f, const st_tensor *t, float *out, char *err, size_t errlen);
/* Convert an integer or BOOL tensor to int64. -1 with a message otherwise
 * (also for U64 values over INT64_MAX). */
int st_to_i64(const st_file *f, const st_tensor *t, int64_t *out, char *err, size_t errlen);

/* Half and bfloat16 to float32 (exact, including subnormals, inf, NaN). */
float st_f16_to_f32(uint16_t h);
float st_bf16_to_f32(uint16_t h);

/* One tensor to write: data holds numel x st_dtype_size(dtype) bytes in
 * little-endian order (e.g. a float array for ST_F32, int64_t for ST_I64). */
typedef struct st_out {
	const char *name;
	int dtype;
	int ndim;
	const int64_t *shape;
	const void *data;
} st_out;

/* Write n tensors and optional metadata (meta: key, value, key, value, ...,
 * NULL; may be NULL) atomically to path. 0 on success, -1 with a message. */
int st_write(const char *path, const st_out *t, int n, const char *const *meta,
             char *err, size_t errlen);
#endif
