/* checkpoint.h — atomic file writes and the training checkpoint format.
 *
 * Atomic writes: the data goes to DIR/.NAME.tmp, which is flushed, fsync'ed
 * and renamed over DIR/NAME, then DIR is fsync'ed. A crash or SIGKILL at any
 * moment leaves either the old file or the new one, never a mix; a stale
 * .NAME.tmp may remain and is overwritten by the next write.
 *
 * The training checkpoint is a safetensors file (lib/safetensors.h, so
 * PyTorch can open it too) with the tensors
 *   params, adam.m, adam.v   F32 [nparams]   parameter arena and Adam moments
 *   order                    I64 [norder]    example order of the current epoch
 *   counters                 I64 [4]         step, epoch, pos, adam_t
 *   rng                      U64 [4]         xoshiro256** state (rng.s)
 * and the __metadata__ strings
 *   format "gcse-train-checkpoint", version "1",
 *   meta   JSON text of the hyperparameters (for ckpt_meta_diff),
 *   crc32.NAME  8 lowercase hex digits: zlib crc32 of tensor NAME's bytes.
 * Loading checks the safetensors structure (a truncated file fails there),
 * the format and version, every tensor's dtype and shape, and every CRC, so
 * corruption is reported as such before anything is copied out. */
#ifndef GCSE_CHECKPOINT_H
#define GCSE_CHECKPOINT_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---- atomic files ---- */
typedef struct atomic_file {
	FILE *f;       /* write here between open and commit */
	char *path;    /* final name */
	char *tmp;     /* DIR/.NAME.tmp */
} atomic_file;

/* Create DIR/.NAME.tmp for writing. 0 on success, -1 with err set. */
int atomic_open(atomic_file *af, const char *path, char *err, size_t errlen);
/* Flush, check for write errors, fsync, close, rename over path, fsync the
 * directory. On any failure the temp file is removed, the old file is left
 * as it was, and -1 is returned with err set. Frees af's fields either way. */
int atomic_commit(atomic_file *af, char *err, size_t errlen);
/* Close and remove the temp file; the old file is left as it was. */
void atomic_abort(atomic_file *af);
/* The whole cycle for a buffer. */
int atomic_write_file(const char *path, const void *data, size_t n, char *err,
                      size_t errlen);

/* ---- training state ---- */
typedef struct train_ckpt {
	float *params;           /* (nparams) parameter arena */
	float *adam_m, *adam_v;  /* (nparams) Adam moments */
	size_t nparams;
	int64_t *order;          /* (norder) example order of the current epoch */
	size_t norder;
	int64_t step;            /* optimizer steps done */
	int64_t epoch;           /* current epoch (0-based) */
	int64_t pos;             /* next position in order */
	int64_t adam_t;          /* adam.t */
	uint64_t rng[4];         /* rng.s */
} train_ckpt;

/* Save c and meta (JSON text, may be NULL) atomically to path (temp file,
 * fsync, rename: a crash leaves the previous checkpoint intact). 0 or -1
 * with err. */
int train_ckpt_save(const char *path, const train_ckpt *c, const char *meta,
                    char *err, size_t errlen);
/* Load into c's buffers: c->nparams and c->norder must be set and equal the
 * checkpoint's (a different model or data set is an error naming both
 * sizes). *meta (if meta != NULL) receives a malloc'ed NUL-terminated copy
 * of the meta JSON ("" when absent). Nothing is written to c unless the
 * whole file verified. 0 or -1 with err. */
int train_ckpt_load(const char *path, train_ckpt *c, char **meta, char *err,
                    size_t errlen);

/* Compare two JSON objects of hyperparameters (the saved meta and the
 * current one), top-level keys only, ignoring the keys listed in ignore
 * (NULL-terminated, may be NULL). Returns the number of keys that differ
 * (a key missing on one side counts) and writes
 * "lr: 3e-05 (checkpoint) vs 1e-05 (now); ..." to msg; -1 if either text is
 * not a JSON object. */
int ckpt_meta_diff(const char *saved, const char *now, const char *const *ignore,
                   char *msg, size_t msglen);
#endif
