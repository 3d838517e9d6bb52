/* model.c — BERT parameter arena, Hugging Face directory loading and saving. */
#include "nn/model.h"
#include "base/bigmem.h"
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
#include <sys/stat.h>
#include <unistd.h>

static const char *const pooling_names[] = {"cls", "pooler", "mean", "max"};

int bert_pooling_parse(const char *s)
{
	for (int i = 0; i < 4; i++)
		if (!strcmp(s, pooling_names[i]))
			return i;
	return -1;
}

const char *bert_pooling_name(int pooling)
{
	return pooling >= 0 && pooling < 4 ? pooling_names[pooling] : "?";
}

/* ---- arena layout ----------------------------------------------------- */

/* Sizes of the bert_params fields in order. */
static void param_sizes(const bert_config *c, size_t sz[19])
{
	size_t V = c->vocab_size, C = c->hidden_size, L = c->num_hidden_layers;
	size_t FF = c->intermediate_size, maxT = c->max_position_embeddings, TV = c->type_vocab_size;
	size_t s[19] = {
		V * C, maxT * C, TV * C, C, C,
		L * 3 * C * C, L * 3 * C, L * C * C, L * C, L * C, L * C,
		L * FF * C, L * FF, L * C * FF, L * C, L * C, L * C,
		C * C, C,
	};
	memcpy(sz, s, sizeof s);
}

size_t model_num_params(const bert_config *c)
{
	size_t sz[19], n = 0;
	param_sizes(c, sz);
	for (int i = 0; i < 19; i++)
		n += sz[i];
	return n;
}

void bert_params_point(bert_params *p, float *arena, const bert_config *c)
{
	float **ptrs[19] = {
		&p->wte, &p->wpe, &p->wtt, &p->emb_lnw, &p->emb_lnb,
		&p->qkvw, &p->qkvb, &p->attprojw, &p->attprojb, &p->ln1w, &p->ln1b,
		&p->fcw, &p->fcb, &p->fcprojw, &p->fcprojb, &p->ln2w, &p->ln2b,
		&p->poolw, &p->poolb,
	};
	size_t sz[19];
	param_sizes(c, sz);
	for (int i = 0; i < 19; i++) {
		*ptrs[i] = arena;
		arena += sz[i];
	}
}

int bert_num_tensors(const bert_config *c)
{
	return 5 + 16 * c->num_hidden_layers + 2;
}

static void put(bert_tensor *out, int *n, const char *name, float *data, int ndim, int64_t d0,
                int64_t d1, int kind, int pooler)
{
	if (out) {
		bert_tensor *t = &out[*n];
		snprintf(t->name, sizeof t->name, "%s", name);
		t->data = data;
		t->ndim = ndim;
		t->shape[0] = d0;
		t->shape[1] = ndim > 1 ? d1 : 0;
		t->numel = (size_t)d0 * (ndim > 1 ? (size_t)d1 : 1);
		t->kind = kind;
		t->pooler = pooler;
	}
	(*n)++;
}

int bert_tensors(const bert_config *c, const bert_params *p, bert_tensor *out)
{
	int n = 0;
	int64_t V = c->vocab_size, C = c->hidden_size, FF = c->intermediate_size;
	char nm[96];
	put(out, &n, "embeddings.word_embeddings.weight", p->wte, 2, V, C, BERT_T_EMBEDDING, 0);
	put(out, &n, "embeddings.position_embeddings.weight", p->wpe, 2, c->max_position_embeddings, C,
	    BERT_T_EMBEDDING, 0);
	put(out, &n, "embeddings.token_type_embeddings.weight", p->wtt, 2, c->type_vocab_size, C,
	    BERT_T_EMBEDDING, 0);
	put(out, &n, "embeddings.LayerNorm.weight", p->emb_lnw, 1, C, 0, BERT_T_LN_WEIGHT, 0);
	put(out, &n, "embeddings.LayerNorm.bias", p->emb_lnb, 1, C, 0, BERT_T_LN_BIAS, 0);
	for (int l = 0; l < c->num_hidden_layers; l++) {
		size_t L = (size_t)l;
		/* layer l's tensors, in Hugging Face's order */
		const struct { const char *name; float *data; int ndim; int64_t d0, d1; int kind; } t[] = {
			{"attention.self.query.weight", p->qkvw + (L * 3 + 0) * C * C, 2, C, C, BERT_T_MATRIX},
			{"attention.self.query.bias", p->qkvb + (L * 3 + 0) * C, 1, C, 0, BERT_T_BIAS},
			{"attention.self.key.weight", p->qkvw + (L * 3 + 1) * C * C, 2, C, C, BERT_T_MATRIX},
			{"attention.self.key.bias", p->qkvb + (L * 3 + 1) * C, 1, C, 0, BERT_T_BIAS},
			{"attention.self.value.weight", p->qkvw + (L * 3 + 2) * C * C, 2, C, C, BERT_T_MATRIX},
			{"attention.self.value.bias", p->qkvb + (L * 3 + 2) * C, 1, C, 0, BERT_T_BIAS},
			{"attention.output.dense.weight", p->attprojw + L * C * C, 2, C, C, BERT_T_MATRIX},
			{"attention.output.dense.bias", p->attprojb + L * C, 1, C, 0, BERT_T_BIAS},
			{"attention.output.LayerNorm.weight", p->ln1w + L * C, 1, C, 0, BERT_T_LN_WEIGHT},
			{"attention.output.LayerNorm.bias", p->ln1b + L * C, 1, C, 0, BERT_T_LN_BIAS},
			{"intermediate.dense.weight", p->fcw + L * FF * C, 2, FF, C, BERT_T_MATRIX},
			{"intermediate.dense.bias", p->fcb + L * FF, 1, FF, 0, BERT_T_BIAS},
			{"output.dense.weight", p->fcprojw + L * C * FF, 2, C, FF, BERT_T_MATRIX},
			{"output.dense.bias", p->fcprojb + L * C, 1, C, 0, BERT_T_BIAS},
			{"output.LayerNorm.weight", p->ln2w + L * C, 1, C, 0, BERT_T_LN_WEIGHT},
			{"output.LayerNorm.bias", p->ln2b + L * C, 1, C, 0, BERT_T_LN_BIAS},
		};
		for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
			snprintf(nm, sizeof nm, "encoder.layer.%d.%s", l, t[i].name);
			put(out, &n, nm, t[i].data, t[i].ndim, t[i].d0, t[i].d1, t[i].kind, 0);
		}
	}
	put(out, &n, "pooler.dense.weight", p->poolw, 2, C, C, BERT_T_MATRIX, 1);
	put(out, &n, "pooler.dense.bias", p->poolb, 1, C, 0, BERT_T_BIAS, 1);
	return n;
}

/* ---- construction ----------------------------------------------------- */

bert_model *model_new(const bert_config *c, char *err, size_t errlen)
{
	if (bert_config_check(c, err, errlen))
		return NULL;
	bert_model *m = calloc(1, sizeof *m);
	if (!m) {
		seterr(err, errlen, "out of memory");
		return NULL;
	}
	m->cfg = *c;
	m->num_params = model_num_params(c);
	size_t bytes = (m->num_params * sizeof(float) + 63) / 64 * 64;
	m->arena = big_alloc(bytes);
	if (!m->arena) {
		seterr(err, errlen, "out of memory for %zu parameters", m->num_params);
		free(m);
		return NULL;
	}
	memset(m->arena, 0, bytes);
	bert_params_point(&m->params, m->arena, c);
	m->pooling = BERT_POOL_CLS;
	return m;
}

void model_free(bert_model *m)
{
	if (!m)
		return;
	free(m->arena);
	free(m);
}

static uint64_t splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* N(0, std) into x (n), from a stream determined by (seed, tensor, chunk). */
static void normal_fill(float *x, size_t n, float std, uint64_t seed, int tensor, size_t chunk)
{
	uint64_t s = seed ^ ((uint64_t)tensor << 40) ^ (chunk * 0x632be59bd9b4e019ULL);
	splitmix(&s);
	for (size_t i = 0; i < n; i += 2) {
		double u1 = ((splitmix(&s) >> 11) + 1.0) * 0x1p-53;     /* (0, 1] */
		double u2 = (splitmix(&s) >> 11) * 0x1p-53;
		double r = sqrt(-2.0 * log(u1)), a = 6.283185307179586 * u2;
		x[i] = (float)(std * r * cos(a));
		if (i + 1 < n)
			x[i + 1] = (float)(std * r * sin(a));
	}
}

bert_model *model_init_random(const bert_config *c, uint64_t seed, char *err, size_t errlen)
{
	bert_model *m = model_new(c, err, errlen);
	if (!m)
		return NULL;
	int nt = bert_num_tensors(c);
	bert_tensor *ts = malloc(nt * sizeof *ts);
	if (!ts) {
		model_free(m);
		seterr(err, errlen, "out of memory");
		return NULL;
	}
	bert_tensors(c, &m->params, ts);
	const size_t chunk = 1 << 16;
	for (int t = 0; t < nt; t++) {
		bert_tensor *x = &ts[t];
		if (x->kind == BERT_T_LN_WEIGHT)
			for (size_t i = 0; i < x->numel; i++)
				x->data[i] = 1.0f;
		if (x->kind != BERT_T_EMBEDDING && x->kind != BERT_T_MATRIX)
			continue;                       /* biases stay 0 */
		long nchunks = (long)((x->numel + chunk - 1) / chunk);
#pragma omp parallel for schedule(dynamic)
		for (long k = 0; k < nchunks; k++) {
			size_t off = (size_t)k * chunk, len = x->numel - off < chunk ? x->numel - off : chunk;
			normal_fill(x->data + off, len, c->initializer_range, seed, t, (size_t)k);
		}
	}
	if (c->pad_token_id >= 0)
		memset(m->params.wte + (size_t)c->pad_token_id * c->hidden_size, 0,
		       (size_t)c->hidden_size * sizeof(float));
	free(ts);
	m->has_pooler = 1;
	return m;
}

/* ---- sentence-transformers files -------------------------------------- */

static int exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

/* Parse the JSON file DIR/SUB/NAME (SUB "" for DIR itself); jv_invalid()
 * with a message on error (a missing file gives *missing = 1). */
static jv read_json(const char *dir, const char *sub, const char *name, int *missing, char *err,
                    size_t errlen)
{
	*missing = 0;
	char *sd = path_join(dir, sub), *path = sd ? path_join(sd, name) : NULL;
	free(sd);
	if (!path) {
		seterr(err, errlen, "out of memory");
		return jv_invalid();
	}
	size_t n;
	char *s = NULL;
	if (!exists(path))
		*missing = 1;
	else
		s = file_read(path, 1u << 26, &n);   /* a small JSON file */
	free(path);
	if (*missing)
		return jv_invalid();
	if (!s) {
		seterr(err, errlen, "%s", errno == EFBIG ? "file too large" : strerror(errno));
		return jv_invalid();
	}
	jv v = jv_parse_sized(s, (int)n);
	free(s);
	if (!jv_is_valid(v)) {
		jv msg = jv_invalid_get_msg(v);
		const char *m = jv_get_kind(msg) == JV_KIND_STRING ? jv_string_value(msg) : "?";
		const char *cut = strstr(m, " (while parsing");
		seterr(err, errlen, "not valid JSON: %.*s", cut ? (int)(cut - m) : 200, m);
		jv_free(msg);
		return jv_invalid();
	}
	return v;
}

typedef struct st_modules {
	char transformer[256];  /* folder of the BERT model, relative ("" = dir itself) */
	char pooling[256];      /* folder of the Pooling module, "" if none */
	int normalize;
	char note[160];         /* an unsupported module, if any */
} st_modules;

/* modules.json, when present. 1 ok (absent is ok), 0 on a broken file. */
static int read_modules(const char *dir, st_modules *sm, char *err, size_t errlen)
{
	memset(sm, 0, sizeof *sm);
	int missing = 0;
	char e[200] = "";
	jv v = read_json(dir, "", "modules.json", &missing, e, sizeof e);
	if (!jv_is_valid(v)) {
		jv_free(v);
		if (missing)
			return 1;
		seterr(err, errlen, "modules.json: %s", e);
		return 0;
	}
	if (jv_get_kind(v) != JV_KIND_ARRAY) {
		jv_free(v);
		seterr(err, errlen, "modules.json: not an array");
		return 0;
	}
	int ok = 1;
	jv_array_foreach(v, i, mod) {
		int isobj = jv_get_kind(mod) == JV_KIND_OBJECT;
		jv type = isobj ? jv_object_get(jv_copy(mod), jv_string("type")) : jv_null();
		jv path = isobj ? jv_object_get(jv_copy(mod), jv_string("path")) : jv_null();
		if (ok && (jv_get_kind(type) != JV_KIND_STRING ||
		           jv_get_kind(path) != JV_KIND_STRING || strstr(jv_string_value(path), ".."))) {
			seterr(err, errlen, "modules.json: module %d needs a string type and path", i);
			ok = 0;
		} else if (ok) {
			const char *t = jv_string_value(type), *dot = strrchr(t, '.');
			const char *base = dot ? dot + 1 : t;
			if (!strcmp(base, "Transformer"))
				snprintf(sm->transformer, sizeof sm->transformer, "%s", jv_string_value(path));
			else if (!strcmp(base, "Pooling"))
				snprintf(sm->pooling, sizeof sm->pooling, "%s", jv_string_value(path));
			else if (!strcmp(base, "Normalize"))
				sm->normalize = 1;
			else if (!sm->note[0])
				snprintf(sm->note, sizeof sm->note, "modules.json: module %.80s not supported", t);
		}
		jv_free(type);
		jv_free(path);
		jv_free(mod);
	}
	jv_free(v);
	return ok;
}

int model_read_pooling(const char *dir, int *pooling, int *normalize, char *err, size_t errlen)
{
	st_modules sm;
	*pooling = BERT_POOL_CLS;
	*normalize = 0;
	if (!read_modules(dir, &sm, err, errlen))
		return -1;
	*normalize = sm.normalize;
	/* without modules.json, a 1_Pooling folder alone still counts */
	const char *pdir = sm.pooling[0] ? sm.pooling : "1_Pooling";
	int missing = 0;
	char e[200] = "";
	jv v = read_json(dir, pdir, "config.json", &missing, e, sizeof e);
	if (!jv_is_valid(v)) {
		jv_free(v);
		if (!missing) {
			seterr(err, errlen, "%s/config.json: %s", pdir, e);
			return -1;
		}
		if (sm.pooling[0]) {
			seterr(err, errlen, "%s/config.json: missing", pdir);
			return -1;
		}
	} else {
		static const char *const ours[3] = {"pooling_mode_cls_token", "pooling_mode_mean_tokens",
		                                    "pooling_mode_max_tokens"};
		static const int modes[3] = {BERT_POOL_CLS, BERT_POOL_MEAN, BERT_POOL_MAX};
		static const char *const others[] = {"pooling_mode_mean_sqrt_len_tokens",
		                                     "pooling_mode_weightedmean_tokens", "pooling_mode_lasttoken"};
		int nset = 0, mode = -1;
		const char *other = NULL;
		if (jv_get_kind(v) != JV_KIND_OBJECT) {
			jv_free(v);
			seterr(err, errlen, "%s/config.json: not an object", pdir);
			return -1;
		}
		for (int i = 0; i < 3; i++) {
			jv b = jv_object_get(jv_copy(v), jv_string(ours[i]));
			if (jv_get_kind(b) == JV_KIND_TRUE) {
				nset++;
				mode = modes[i];
			}
			jv_free(b);
		}
		for (size_t i = 0; i < sizeof others / sizeof *others; i++) {
			jv b = jv_object_get(jv_copy(v), jv_string(others[i]));
			if (jv_get_kind(b) == JV_KIND_TRUE && !other)
				other = others[i];
			jv_free(b);
		}
		jv_free(v);
		if (other) {
			*pooling = -1;
			seterr(err, errlen, "%s/config.json: %s not supported", pdir, other);
			return 0;
		}
		if (nset != 1) {
			*pooling = -1;
			seterr(err, errlen, "%s/config.json: %s", pdir,
			       nset ? "several pooling modes at once not supported" : "no pooling mode set");
			return 0;
		}
		*pooling = mode;
	}
	if (sm.note[0]) {
		*pooling = -1;
		seterr(err, errlen, "%s", sm.note);
	}
	return 0;
}

/* text into DIR/SUB/NAME (SUB "" for DIR itself), SUB made when missing,
 * the file written atomically; text NULL makes SUB alone. 0, or -1 with
 * err. */
static int write_module_file(const char *dir, const char *sub, const char *name, const char *text,
                             char *err, size_t errlen)
{
	char *sd = path_join(dir, sub), *path = sd ? path_join(sd, name) : NULL;
	int rc = -1;
	if (!path)
		seterr(err, errlen, "out of memory");
	else if (*sub && mkdir(sd, 0777) != 0 && errno != EEXIST)
		seterr(err, errlen, "%s: %s", sub, strerror(errno));
	else
		rc = text ? atomic_write_file(path, text, strlen(text), err, errlen) : 0;
	free(sd), free(path);
	return rc;
}

int model_save_pooling(const char *dir, int pooling, int normalize, int hidden_size, char *err, size_t errlen)
{
	if (pooling != BERT_POOL_CLS && pooling != BERT_POOL_MEAN && pooling != BERT_POOL_MAX) {
		seterr(err, errlen, "pooling %s cannot be written as a sentence-transformers module",
		       bert_pooling_name(pooling));
		return -1;
	}
	char text[1024];
	snprintf(text, sizeof text,
	         "{\n  \"word_embedding_dimension\": %d,\n  \"pooling_mode_cls_token\": %s,\n"
	         "  \"pooling_mode_mean_tokens\": %s,\n  \"pooling_mode_max_tokens\": %s,\n"
	         "  \"pooling_mode_mean_sqrt_len_tokens\": false\n}\n",
	         hidden_size, pooling == BERT_POOL_CLS ? "true" : "false",
	         pooling == BERT_POOL_MEAN ? "true" : "false", pooling == BERT_POOL_MAX ? "true" : "false");
	if (write_module_file(dir, "1_Pooling", "config.json", text, err, errlen))
		return -1;
	if (normalize && write_module_file(dir, "2_Normalize", "", NULL, err, errlen))
		return -1;
	snprintf(text, sizeof text,
	         "[\n  {\"idx\": 0, \"name\": \"0\", \"path\": \"\", "
	         "\"type\": \"sentence_transformers.models.Transformer\"},\n"
	         "  {\"idx\": 1, \"name\": \"1\", \"path\": \"1_Pooling\", "
	         "\"type\": \"sentence_transformers.models.Pooling\"}%s\n]\n",
	         normalize ? ",\n  {\"idx\": 2, \"name\": \"2\", \"path\": \"2_Normalize\", "
	                     "\"type\": \"sentence_transformers.models.Normalize\"}" : "");
	return write_module_file(dir, "", "modules.json", text, err, errlen);
}

/* ---- loading ---------------------------------------------------------- */

/* Hugging Face name of a file tensor: no "bert." prefix, LayerNorm gamma/beta as weight/bias. */
static void canonical_name(const char *in, char *out, size_t n)
{
	if (!strncmp(in, "bert.", 5))
		in += 5;
	snprintf(out, n, "%s", in);
	size_t l = strlen(out);
	if (l >= 16 && !strcmp(out + l - 16, ".LayerNorm.gamma"))
		snprintf(out + l - 6, n - (l - 6), ".weight");
	else if (l >= 15 && !strcmp(out + l - 15, ".LayerNorm.beta"))
		snprintf(out + l - 5, n - (l - 5), ".bias");
}

static void shape_text(char *buf, size_t n, int ndim, const int64_t *shape)
{
	size_t k = (size_t)snprintf(buf, n, "[");
	for (int i = 0; i < ndim && k < n; i++)
		k += (size_t)snprintf(buf + k, n - k, "%s%lld", i ? ", " : "", (long long)shape[i]);
	if (k < n)
		snprintf(buf + k, n - k, "]");
}

bert_model *model_load(const char *dir, char *err, size_t errlen)
{
	st_modules sm;
	char e[400];
	if (!read_modules(dir, &sm, err, errlen))
		return NULL;
	char *mdir = path_join(dir, sm.transformer);
	char *cpath = mdir ? path_join(mdir, "config.json") : NULL;
	char *wpath = mdir ? path_join(mdir, "model.safetensors") : NULL;
	bert_model *m = NULL;
	st_file *f = NULL;
	bert_tensor *ts = NULL;
	const char **found = NULL;
	bert_config c;
	if (!mdir || !cpath || !wpath) {
		seterr(err, errlen, "out of memory");
		goto fail;
	}
	if (!exists(cpath)) {
		seterr(err, errlen, "no config.json: not a Hugging Face model directory");
		goto fail;
	}
	if (bert_config_load(&c, cpath, e, sizeof e)) {
		seterr(err, errlen, "config.json: %s", e);
		goto fail;
	}
	if (!exists(wpath)) {
		char *bin = path_join(mdir, "pytorch_model.bin");
		int has_bin = bin && exists(bin);
		free(bin);
		seterr(err, errlen, "no model.safetensors%s", has_bin ?
		       " (pytorch_model.bin is not read: convert it to safetensors)" : "");
		goto fail;
	}
	f = st_open(wpath, e, sizeof e);
	if (!f) {
		seterr(err, errlen, "model.safetensors: %s", e);
		goto fail;
	}
	m = model_new(&c, err, errlen);
	if (!m)
		goto fail;
	int nt = bert_num_tensors(&c);
	ts = malloc(nt * sizeof *ts);
	found = calloc(nt, sizeof *found);
	if (!ts || !found) {
		seterr(err, errlen, "out of memory");
		goto fail;
	}
	bert_tensors(&c, &m->params, ts);
	for (int i = 0; i < f->ntensors; i++) {
		const st_tensor *ft = &f->tensors[i];
		char nm[200];
		canonical_name(ft->name, nm, sizeof nm);
		int k = 0;
		while (k < nt && strcmp(ts[k].name, nm))
			k++;
		if (k == nt)
			continue;                       /* a head or buffer we do not use */
		if (found[k]) {
			seterr(err, errlen, "model.safetensors: tensor %s given twice (as %s and %s)", ts[k].name,
			       found[k], ft->name);
			goto fail;
		}
		found[k] = ft->name;
		int same = ft->ndim == ts[k].ndim;
		for (int d = 0; same && d < ft->ndim; d++)
			same = ft->shape[d] == ts[k].shape[d];
		if (!same) {
			char got[128], want[64];
			shape_text(got, sizeof got, ft->ndim, ft->shape);
			shape_text(want, sizeof want, ts[k].ndim, ts[k].shape);
			seterr(err, errlen, "model.safetensors: tensor %s has shape %s, config.json implies %s",
			       ft->name, got, want);
			goto fail;
		}
		if (st_to_f32(f, ft, ts[k].data, e, sizeof e)) {
			seterr(err, errlen, "model.safetensors: %s", e);
			goto fail;
		}
	}
	int npool = 0;
	for (int k = 0; k < nt; k++) {
		if (ts[k].pooler) {
			npool += found[k] != NULL;
			continue;
		}
		if (!found[k]) {
			seterr(err, errlen, "model.safetensors: missing tensor %s", ts[k].name);
			goto fail;
		}
	}
	if (npool == 1) {
		seterr(err, errlen, "model.safetensors: pooler.dense has only one of weight and bias");
		goto fail;
	}
	m->has_pooler = npool == 2;
	if (model_read_pooling(dir, &m->pooling, &m->normalize, e, sizeof e)) {
		seterr(err, errlen, "%s", e);
		goto fail;
	}
	if (m->pooling < 0)
		snprintf(m->pooling_note, sizeof m->pooling_note, "%.150s", e);
	free(ts);
	free(found);
	st_close(f);
	free(mdir), free(cpath), free(wpath);
	return m;
fail:
	free(ts);
	free(found);
	st_close(f);
	model_free(m);
	free(mdir), free(cpath), free(wpath);
	return NULL;
}

/* ---- saving ----------------------------------------------------------- */

int model_save_with(const bert_model *m, const char *dir, const char *prefix, int pooler,
                    const st_out *extra, int nextra, char *err, size_t errlen)
{
	if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
		seterr(err, errlen, "%s", strerror(errno));
		return -1;
	}
	char *cpath = path_join(dir, "config.json"), *wpath = path_join(dir, "model.safetensors");
	int nt = bert_num_tensors(&m->cfg);
	bert_tensor *ts = malloc(nt * sizeof *ts);
	st_out *out = malloc((nt + (nextra > 0 ? nextra : 0)) * sizeof *out);
	char (*names)[sizeof ts->name + 16] = malloc(nt * sizeof *names);
	int ok = cpath && wpath && ts && out && names;
	char e[300];
	if (!ok)
		seterr(err, errlen, "out of memory");
	if (ok) {
		bert_tensors(&m->cfg, &m->params, ts);
		int n = 0;
		for (int k = 0; k < nt; k++) {
			if (ts[k].pooler && !(pooler && m->has_pooler))
				continue;
			snprintf(names[n], sizeof names[n], "%s%s", prefix ? prefix : "", ts[k].name);
			out[n].name = names[n];
			out[n].dtype = ST_F32;
			out[n].ndim = ts[k].ndim;
			out[n].shape = ts[k].shape;
			out[n].data = ts[k].data;
			n++;
		}
		for (int k = 0; k < nextra; k++)
			out[n++] = extra[k];
		const char *meta[] = {"format", "pt", NULL};
		ok = st_write(wpath, out, n, meta, e, sizeof e) == 0;
		if (!ok)
			seterr(err, errlen, "model.safetensors: %s", e);
	}
	if (ok) {
		ok = bert_config_save(&m->cfg, cpath, e, sizeof e) == 0;
		if (!ok)
			seterr(err, errlen, "config.json: %s", e);
	}
	free(cpath), free(wpath), free(ts), free(out), free(names);
	return ok ? 0 : -1;
}

int model_save(const bert_model *m, const char *dir, char *err, size_t errlen)
{
	return model_save_with(m, dir, NULL, 1, NULL, 0, err, errlen);
}
