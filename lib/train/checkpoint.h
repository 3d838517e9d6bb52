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
 *   meta   JSON text of the run's settings and progress (train_meta_text),
 *   crc32.NAME  8 lowercase hex digits: zlib crc32 of tensor NAME's bytes.
 * Loading checks the safetensors structure (a truncated file fails there),
 * the format and version, every tensor's dtype and shape, and every CRC, so
 * corruption is reported as such before anything is copied out. */
#ifndef GCSE_CHECKPOINT_H
#define GCSE_CHECKPOINT_H
#include <stddef.h>
#include <stdint.h>

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

/* ---- the run's meta: its settings and its progress ---- */
/* The settings of a run, as the meta records them (JSON keys in comments):
 * a resumed run must have the same ones. */
typedef struct train_settings {
	int loss;                      /* "loss": loss_kind name */
	double tau, sigma;             /* "temperature", "sigma" */
	int symmetric;                 /* "gate": "symmetric" or "one-sided" */
	int gate_cls;                  /* "gate_on": "cls", only when set (older meta lacks it) */
	int word_repeat;               /* "word_repeat" */
	long epochs, batch_size;       /* "epochs", "batch_size" */
	double lr;                     /* "lr" */
	long max_length, warmup;       /* "max_length", "warmup" */
	int64_t total_steps;           /* "total_steps" */
	double weight_decay;           /* "weight_decay" */
	int adamw;                     /* "adamw" */
	double grad_clip;              /* "grad_clip" */
	double hidden_dropout, attention_dropout;   /* "hidden_dropout", "attention_dropout" */
	uint64_t seed;                 /* "seed" */
	int shuffle;                   /* "shuffle" */
	long log_every, eval_every;    /* "log_every", "eval_every" (0: no --eval) */
	size_t examples;               /* "examples" */
	uint32_t data_crc;             /* "data_crc32": train_data.crc, the token ids and s' */
	size_t params;                 /* "params" */
	uint32_t tokenizer_crc;        /* "tokenizer_crc32": train_tokenizer_crc */
} train_settings;

/* Where a run stands besides the arrays of train_ckpt. */
typedef struct train_progress {
	double win_loss, win_gate;     /* sums over the steps since the last metrics record */
	long win_steps, win_examples;
	double best_eval;              /* best --eval Spearman so far; -inf: none yet */
	long best_step;
	int saved_out;                 /* the output folder holds a model of this run */
	int has_pooler;                /* the model has (untrained) pooler weights to save */
} train_progress;

/* A fresh run's progress: nothing yet, best_eval -inf. */
train_progress train_progress_start(int has_pooler);
/* crc32 of a tokenizer's tokens (vocab.txt) and its lowercase and accent
 * flags (tokenizer_config.json): what turns texts into the token ids. */
struct tokenizer;
uint32_t train_tokenizer_crc(const struct tokenizer *tk);
/* The meta JSON text of a checkpoint (malloc'ed; NULL when out of memory). */
char *train_meta_text(const train_settings *s, const train_progress *p);
/* A resume: check the saved meta against the settings now, and read the
 * progress from it. 0 when they match. -1 with a message when they do not,
 * and *usage tells which kind of error it is: 1 when options differ from
 * the interrupted run's ("the checkpoint was made with other settings: lr:
 * 0.001 (checkpoint) vs 0.002 (now)"), 0 when the data differ (the input's
 * token ids, or the tokenizer in the checkpoint folder, which a message
 * names) or the meta is unreadable. */
int train_meta_resume(const char *saved, const train_settings *now, train_progress *p, int *usage,
                      char *err, size_t errlen);
#endif
