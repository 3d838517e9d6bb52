/* checkpoint.h — the training checkpoint format.
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
