/* bertconfig.c — config.json parsing and writing for BERT models. */
#include "nn/bertconfig.h"
#include "base/err.h"
#include "base/fileio.h"
#include "nn/safetensors.h"

#include <errno.h>
#include <jv.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void bert_config_defaults(bert_config *c)
{
	c->vocab_size = 30522;
	c->hidden_size = 768;
	c->num_hidden_layers = 12;
	c->num_attention_heads = 12;
	c->intermediate_size = 3072;
	c->max_position_embeddings = 512;
	c->type_vocab_size = 2;
	c->pad_token_id = 0;
	c->layer_norm_eps = 1e-12f;
	c->hidden_dropout_prob = 0.1f;
	c->attention_probs_dropout_prob = 0.1f;
	c->initializer_range = 0.02f;
}

int bert_config_check(const bert_config *c, char *err, size_t errlen)
{
	static const struct { const char *name; size_t off; int max; } sizes[] = {
		{"vocab_size", offsetof(bert_config, vocab_size), 1 << 24},
		{"hidden_size", offsetof(bert_config, hidden_size), 1 << 16},
		{"num_hidden_layers", offsetof(bert_config, num_hidden_layers), 1024},
		{"num_attention_heads", offsetof(bert_config, num_attention_heads), 1 << 12},
		{"intermediate_size", offsetof(bert_config, intermediate_size), 1 << 18},
		{"max_position_embeddings", offsetof(bert_config, max_position_embeddings), 1 << 16},
		{"type_vocab_size", offsetof(bert_config, type_vocab_size), 1 << 16},
	};
	for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
		int v = *(const int *)((const char *)c + sizes[i].off);
		if (v < 1 || v > sizes[i].max) {
			seterr(err, errlen, "%s %d out of range 1..%d", sizes[i].name, v, sizes[i].max);
			return -1;
		}
	}
	if (c->hidden_size % c->num_attention_heads) {
		seterr(err, errlen, "hidden_size %d is not a multiple of num_attention_heads %d",
		       c->hidden_size, c->num_attention_heads);
		return -1;
	}
	if (c->pad_token_id < -1 || c->pad_token_id >= c->vocab_size) {
		seterr(err, errlen, "pad_token_id %d outside the vocabulary (%d)", c->pad_token_id,
		       c->vocab_size);
		return -1;
	}
	if (!(c->layer_norm_eps > 0 && c->layer_norm_eps < 1)) {
		seterr(err, errlen, "layer_norm_eps %g out of range (0, 1)", c->layer_norm_eps);
		return -1;
	}
	if (!(c->hidden_dropout_prob >= 0 && c->hidden_dropout_prob < 1) ||
	    !(c->attention_probs_dropout_prob >= 0 && c->attention_probs_dropout_prob < 1)) {
		seterr(err, errlen, "dropout probabilities must be in [0, 1)");
		return -1;
	}
	if (!(c->initializer_range >= 0 && c->initializer_range <= 10)) {
		seterr(err, errlen, "initializer_range %g out of range [0, 10]", c->initializer_range);
		return -1;
	}
	/* the whole parameter arena must stay addressable (under 2^36 floats) */
	double C = c->hidden_size, n = (double)c->vocab_size * C + (double)c->max_position_embeddings * C +
	       (double)c->type_vocab_size * C + c->num_hidden_layers * (4 * C * C + 2 * C * c->intermediate_size);
	if (n > 68719476736.0) {
		seterr(err, errlen, "model too large (%.3g parameters)", n);
		return -1;
	}
	return 0;
}

/* A whole number in [lo, hi] from key k; absent keeps *out. */
static int get_int(jv o, const char *k, int *out, int lo, int hi, int allow_null, char *err, size_t errlen)
{
	jv v = jv_object_get(jv_copy(o), jv_string(k));
	jv_kind kind = jv_get_kind(v);
	if (kind == JV_KIND_INVALID) {
		jv_free(v);
		return 1;
	}
	if (kind == JV_KIND_NULL && allow_null) {
		*out = -1;
		return 1;
	}
	double d = kind == JV_KIND_NUMBER ? jv_number_value(v) : NAN;
	jv_free(v);
	if (!(d >= lo && d <= hi) || d != floor(d)) {
		seterr(err, errlen, "%s must be a whole number in %d..%d", k, lo, hi);
		return 0;
	}
	*out = (int)d;
	return 1;
}

static int get_float(jv o, const char *k, float *out, char *err, size_t errlen)
{
	jv v = jv_object_get(jv_copy(o), jv_string(k));
	jv_kind kind = jv_get_kind(v);
	if (kind == JV_KIND_INVALID) {
		jv_free(v);
		return 1;
	}
	double d = kind == JV_KIND_NUMBER ? jv_number_value(v) : NAN;
	jv_free(v);
	if (!isfinite(d)) {
		seterr(err, errlen, "%s must be a number", k);
		return 0;
	}
	*out = (float)d;
	return 1;
}

/* A string key: absent is fine; present must be one of the allowed values. */
static int get_choice(jv o, const char *k, const char *const *allowed, const char *why, char *err, size_t errlen)
{
	jv v = jv_object_get(jv_copy(o), jv_string(k));
	jv_kind kind = jv_get_kind(v);
	if (kind == JV_KIND_INVALID || kind == JV_KIND_NULL) {
		jv_free(v);
		return 1;
	}
	if (kind == JV_KIND_STRING)
		for (int i = 0; allowed[i]; i++)
			if (!strcmp(jv_string_value(v), allowed[i])) {
				jv_free(v);
				return 1;
			}
	if (kind == JV_KIND_STRING)
		seterr(err, errlen, "%s \"%.64s\" not supported (%s)", k, jv_string_value(v), why);
	else
		seterr(err, errlen, "%s must be a string", k);
	jv_free(v);
	return 0;
}

int bert_config_parse(bert_config *c, const char *json, size_t len, char *err, size_t errlen)
{
	bert_config_defaults(c);
	if (len > (1u << 26)) {
		seterr(err, errlen, "file too large");
		return -1;
	}
	jv o = jv_parse_sized(json, (int)len);
	if (!jv_is_valid(o)) {
		jv msg = jv_invalid_get_msg(o);
		const char *s = jv_get_kind(msg) == JV_KIND_STRING ? jv_string_value(msg) : "?";
		const char *cut = strstr(s, " (while parsing");
		seterr(err, errlen, "not valid JSON: %.*s", cut ? (int)(cut - s) : 200, s);
		jv_free(msg);
		return -1;
	}
	if (jv_get_kind(o) != JV_KIND_OBJECT) {
		jv_free(o);
		seterr(err, errlen, "not a JSON object");
		return -1;
	}
	static const char *const gelu[] = {"gelu", "gelu_python", NULL};
	static const char *const absolute[] = {"absolute", NULL};
	static const char *const bert[] = {"bert", NULL};
	int ok = get_int(o, "vocab_size", &c->vocab_size, 1, 1 << 24, 0, err, errlen) &&
	         get_int(o, "hidden_size", &c->hidden_size, 1, 1 << 16, 0, err, errlen) &&
	         get_int(o, "num_hidden_layers", &c->num_hidden_layers, 1, 1024, 0, err, errlen) &&
	         get_int(o, "num_attention_heads", &c->num_attention_heads, 1, 1 << 12, 0, err, errlen) &&
	         get_int(o, "intermediate_size", &c->intermediate_size, 1, 1 << 18, 0, err, errlen) &&
	         get_int(o, "max_position_embeddings", &c->max_position_embeddings, 1, 1 << 16, 0, err, errlen) &&
	         get_int(o, "type_vocab_size", &c->type_vocab_size, 1, 1 << 16, 0, err, errlen) &&
	         get_int(o, "pad_token_id", &c->pad_token_id, 0, 1 << 24, 1, err, errlen) &&
	         get_float(o, "layer_norm_eps", &c->layer_norm_eps, err, errlen) &&
	         get_float(o, "hidden_dropout_prob", &c->hidden_dropout_prob, err, errlen) &&
	         get_float(o, "attention_probs_dropout_prob", &c->attention_probs_dropout_prob, err, errlen) &&
	         get_float(o, "initializer_range", &c->initializer_range, err, errlen) &&
	         get_choice(o, "hidden_act", gelu, "only the exact erf GELU, \"gelu\"", err, errlen) &&
	         get_choice(o, "position_embedding_type", absolute, "only \"absolute\"", err, errlen) &&
	         get_choice(o, "model_type", bert, "only \"bert\"", err, errlen);
	jv_free(o);
	return ok ? bert_config_check(c, err, errlen) : -1;
}

/* a config file is small: anything larger is not one */
#define CONFIG_MAX (1u << 26)

int bert_config_load(bert_config *c, const char *path, char *err, size_t errlen)
{
	size_t n;
	char *s = file_read(path, CONFIG_MAX, &n);
	if (!s) {
		seterr(err, errlen, "%s", errno == EFBIG ? "file too large" : strerror(errno));
		return -1;
	}
	int ok = bert_config_parse(c, s, n, err, errlen) == 0;
	free(s);
	return ok ? 0 : -1;
}

/* Shortest decimal text that reads back as the same float. */
static void fmt_float(char *buf, size_t n, float v)
{
	for (int p = 1; p <= 9; p++) {
		snprintf(buf, n, "%.*g", p, v);
		if (strtof(buf, NULL) == v)
			return;
	}
}

char *bert_config_json(const bert_config *c)
{
	char eps[32], hd[32], ad[32], ir[32], pad[16];
	fmt_float(eps, sizeof eps, c->layer_norm_eps);
	fmt_float(hd, sizeof hd, c->hidden_dropout_prob);
	fmt_float(ad, sizeof ad, c->attention_probs_dropout_prob);
	fmt_float(ir, sizeof ir, c->initializer_range);
	if (c->pad_token_id < 0)
		snprintf(pad, sizeof pad, "null");
	else
		snprintf(pad, sizeof pad, "%d", c->pad_token_id);
	char *s = malloc(1024);
	if (!s)
		return NULL;
	snprintf(s, 1024,
	         "{\n"
	         "  \"architectures\": [\"BertModel\"],\n"
	         "  \"attention_probs_dropout_prob\": %s,\n"
	         "  \"hidden_act\": \"gelu\",\n"
	         "  \"hidden_dropout_prob\": %s,\n"
	         "  \"hidden_size\": %d,\n"
	         "  \"initializer_range\": %s,\n"
	         "  \"intermediate_size\": %d,\n"
	         "  \"layer_norm_eps\": %s,\n"
	         "  \"max_position_embeddings\": %d,\n"
	         "  \"model_type\": \"bert\",\n"
	         "  \"num_attention_heads\": %d,\n"
	         "  \"num_hidden_layers\": %d,\n"
	         "  \"pad_token_id\": %s,\n"
	         "  \"position_embedding_type\": \"absolute\",\n"
	         "  \"type_vocab_size\": %d,\n"
	         "  \"vocab_size\": %d\n"
	         "}\n",
	         ad, hd, c->hidden_size, ir, c->intermediate_size, eps, c->max_position_embeddings,
	         c->num_attention_heads, c->num_hidden_layers, pad, c->type_vocab_size, c->vocab_size);
	return s;
}

int bert_config_save(const bert_config *c, const char *path, char *err, size_t errlen)
{
	if (bert_config_check(c, err, errlen))
		return -1;
	char *s = bert_config_json(c);
	if (!s) {
		seterr(err, errlen, "out of memory");
		return -1;
	}
	int rc = atomic_write_file(path, s, strlen(s), err, errlen);
	free(s);
	return rc;
}
