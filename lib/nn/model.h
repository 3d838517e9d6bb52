/* model.h — a BERT model's parameters: one arena, Hugging Face directories in and out.
 *
 * All parameters live in one float arena; bert_params points into it, one
 * pointer per tensor kind with the layers stacked (llm.c style), in Hugging
 * Face order. A gradient or optimizer arena of the same layout is one
 * model_num_params() array pointed at with bert_params_point().
 *
 * A model directory is Hugging Face's layout: config.json and
 * model.safetensors (F32, F16 or BF16). Tensor names may carry the "bert."
 * prefix (BertForPreTraining and friends) and LayerNorm may use the legacy
 * gamma/beta names; other tensors (cls.* heads, position_ids) are ignored;
 * the pooler is optional. A sentence-transformers directory (modules.json,
 * 1_Pooling/config.json, 2_Normalize) gives the default pooling and
 * normalisation; without one the default is the raw [CLS] vector.
 *
 *   bert_model *m = model_load("models/simcse", err, sizeof err);
 *   ... m->params.wte, m->cfg.hidden_size ...
 *   model_save(m, "out/model", err, sizeof err);
 *   model_free(m);
 */
#ifndef GCSE_MODEL_H
#define GCSE_MODEL_H
#include <stddef.h>
#include <stdint.h>

#include "nn/bertconfig.h"
#include "nn/safetensors.h"

/* Pooling of the last hidden states into one vector per sequence. */
enum bert_pooling {
	BERT_POOL_CLS,          /* the [CLS] token's hidden state */
	BERT_POOL_POOLER,       /* tanh(W h_cls + b), the BERT pooler */
	BERT_POOL_MEAN,         /* mean over real tokens */
	BERT_POOL_MAX,          /* per-channel max over real tokens */
};
int bert_pooling_parse(const char *s);      /* "cls", "pooler", "mean", "max"; -1 otherwise */
const char *bert_pooling_name(int pooling);

typedef struct bert_params {
	/* embeddings.* */
	float *wte;             /* (V, C)     word_embeddings.weight */
	float *wpe;             /* (maxT, C)  position_embeddings.weight */
	float *wtt;             /* (TV, C)    token_type_embeddings.weight */
	float *emb_lnw;         /* (C)        LayerNorm.weight */
	float *emb_lnb;         /* (C)        LayerNorm.bias */
	/* encoder.layer.{l}.* */
	float *qkvw;            /* (L, 3C, C) attention.self.{query,key,value}.weight, rows Q | K | V */
	float *qkvb;            /* (L, 3C)    attention.self.{query,key,value}.bias */
	float *attprojw;        /* (L, C, C)  attention.output.dense.weight */
	float *attprojb;        /* (L, C)     attention.output.dense.bias */
	float *ln1w;            /* (L, C)     attention.output.LayerNorm.weight */
	float *ln1b;            /* (L, C)     attention.output.LayerNorm.bias */
	float *fcw;             /* (L, FF, C) intermediate.dense.weight */
	float *fcb;             /* (L, FF)    intermediate.dense.bias */
	float *fcprojw;         /* (L, C, FF) output.dense.weight */
	float *fcprojb;         /* (L, C)     output.dense.bias */
	float *ln2w;            /* (L, C)     output.LayerNorm.weight */
	float *ln2b;            /* (L, C)     output.LayerNorm.bias */
	/* pooler.* */
	float *poolw;           /* (C, C)     dense.weight */
	float *poolb;           /* (C)        dense.bias */
} bert_params;

/* Number of floats in the arena (pooler included) for c. */
size_t model_num_params(const bert_config *c);
/* Point p's tensors into arena (model_num_params(c) floats). */
void bert_params_point(bert_params *p, float *arena, const bert_config *c);

enum bert_tensor_kind { BERT_T_EMBEDDING, BERT_T_MATRIX, BERT_T_BIAS, BERT_T_LN_WEIGHT, BERT_T_LN_BIAS };

/* One named tensor as Hugging Face sees it (Q, K and V are separate). */
typedef struct bert_tensor {
	char name[96];          /* e.g. "encoder.layer.3.attention.self.key.weight" */
	float *data;            /* into the arena */
	int ndim;               /* 1 or 2 */
	int64_t shape[2];
	size_t numel;
	int kind;               /* enum bert_tensor_kind */
	int pooler;             /* 1 for the optional pooler tensors */
} bert_tensor;

/* The model's tensors in Hugging Face order; out (may be NULL) has room for
 * bert_num_tensors(c). Returns the count, 5 + 16 L + 2. */
int bert_num_tensors(const bert_config *c);
int bert_tensors(const bert_config *c, const bert_params *p, bert_tensor *out);

typedef struct bert_model {
	bert_config cfg;
	bert_params params;
	float *arena;           /* num_params floats, 64-byte aligned */
	size_t num_params;
	int has_pooler;         /* pooler weights present (loaded or initialised) */
	int pooling;            /* default pooling, or -1: the directory asks for one not supported */
	int normalize;          /* default L2 normalisation */
	char pooling_note[160]; /* why pooling is -1 */
} bert_model;

/* A model with all parameters 0 (no pooler). NULL with a message when c is bad or memory is short. */
bert_model *model_new(const bert_config *c, char *err, size_t errlen);
/* BERT's initialisation: weights and embeddings N(0, initializer_range) (the
 * padding token's embedding 0), biases 0, LayerNorm weight 1 and bias 0;
 * pooler included. The same seed gives the same model whatever the thread count. */
bert_model *model_init_random(const bert_config *c, uint64_t seed, char *err, size_t errlen);
/* Load a Hugging Face / sentence-transformers directory. */
bert_model *model_load(const char *dir, char *err, size_t errlen);
/* Write config.json and model.safetensors (F32, standard names, pooler when
 * present) into dir, created if needed; files are replaced atomically. */
int model_save(const bert_model *m, const char *dir, char *err, size_t errlen);
/* The same with every encoder name prefixed (e.g. "bert.", the layout of a
 * model with a head), the pooler written only if pooler (and present), and
 * nextra more tensors after the encoder's (a head's, under their own names). */
int model_save_with(const bert_model *m, const char *dir, const char *prefix, int pooler,
                    const st_out *extra, int nextra, char *err, size_t errlen);
/* Write modules.json and 1_Pooling/config.json (and 2_Normalize/) so that
 * sentence-transformers and model_load use this pooling by default. Pooling
 * must be cls, mean or max. */
int model_save_pooling(const char *dir, int pooling, int normalize, int hidden_size, char *err, size_t errlen);
/* Default pooling and normalisation of a directory: *pooling is cls and
 * *normalize 0 without sentence-transformers files; -1 with a note (in err)
 * when they ask for something not supported. All three return 0, or -1 with
 * a message. */
int model_read_pooling(const char *dir, int *pooling, int *normalize, char *err, size_t errlen);
void model_free(bert_model *m);
#endif
