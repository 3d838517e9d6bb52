/* bertconfig.h — a BERT model's hyper-parameters: Hugging Face config.json in and out.
 *
 * Keys missing from config.json take Hugging Face BertConfig's defaults
 * (the bert-base values), as transformers does. Refused: hidden_act other
 * than exact erf GELU ("gelu", "gelu_python"), position_embedding_type other
 * than "absolute", model_type other than "bert", sizes that are not positive
 * whole numbers or do not fit (hidden_size must divide by num_attention_heads).
 *
 *   bert_config c;
 *   if (bert_config_load(&c, "model/config.json", err, sizeof err)) ...
 */
#ifndef GCSE_BERTCONFIG_H
#define GCSE_BERTCONFIG_H
#include <stddef.h>

typedef struct bert_config {
	int vocab_size;                 /* V */
	int hidden_size;                /* C */
	int num_hidden_layers;          /* L */
	int num_attention_heads;        /* NH; head size C / NH */
	int intermediate_size;          /* FF */
	int max_position_embeddings;    /* maxT: longest sequence */
	int type_vocab_size;            /* TV */
	int pad_token_id;               /* -1 when config.json says null */
	float layer_norm_eps;
	float hidden_dropout_prob;
	float attention_probs_dropout_prob;
	float initializer_range;        /* std of the normal init */
} bert_config;

/* Hugging Face BertConfig defaults: 30522, 768, 12, 12, 3072, 512, 2, 0, 1e-12, 0.1, 0.1, 0.02. */
void bert_config_defaults(bert_config *c);
/* Parse config.json text (starting from the defaults). These return 0, or -1
 * with a message (lib/base/err.h). */
int bert_config_parse(bert_config *c, const char *json, size_t len, char *err, size_t errlen);
int bert_config_load(bert_config *c, const char *path, char *err, size_t errlen);
/* Ranges and consistency; also called by parse. */
int bert_config_check(const bert_config *c, char *err, size_t errlen);
/* config.json text for c (malloc'd, NUL-terminated; NULL when out of memory). */
char *bert_config_json(const bert_config *c);
/* Write config.json atomically. */
int bert_config_save(const bert_config *c, const char *path, char *err, size_t errlen);
#endif
