/* checkpoint.c — the checkpoint container, training state, the run's meta. */
#include "train/checkpoint.h"
#include "base/err.h"
#include "nn/safetensors.h"
#include "nn/tokenizer.h"
#include "train/loss.h"

#include <jv.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "checkpoint.c assumes a little-endian host (as safetensors.c)"
#endif


/* ---- training state ---- */

/* crc32 over a buffer of any size (zlib's length argument is narrower) */
static uint32_t crc_buf(const void *p, size_t n)
{
	const unsigned char *b = p;
	uint32_t crc = (uint32_t)crc32_z(0, NULL, 0);
	while (n) {
		size_t k = n < (1u << 30) ? n : (1u << 30);
		crc = (uint32_t)crc32_z(crc, b, k);
		b += k;
		n -= k;
	}
	return crc;
}

enum { T_PARAMS, T_M, T_V, T_ORDER, T_COUNTERS, T_RNG, NT };
static const char *const tname[NT] = { "params", "adam.m", "adam.v", "order",
                                       "counters", "rng" };
static const char *const crcname[NT] = { "crc32.params", "crc32.adam.m", "crc32.adam.v",
                                         "crc32.order", "crc32.counters", "crc32.rng" };

int train_ckpt_save(const char *path, const train_ckpt *c, const char *meta,
                    char *err, size_t errlen)
{
	int64_t counters[4] = { c->step, c->epoch, c->pos, c->adam_t };
	int64_t shape[NT] = { (int64_t)c->nparams, (int64_t)c->nparams, (int64_t)c->nparams,
	                      (int64_t)c->norder, 4, 4 };
	const void *data[NT] = { c->params, c->adam_m, c->adam_v, c->order, counters, c->rng };
	const int dtype[NT] = { ST_F32, ST_F32, ST_F32, ST_I64, ST_I64, ST_U64 };
	st_out t[NT];
	char crc[NT][16];
	const char *md[2 * NT + 8];
	int k = 0;
	md[k++] = "format";
	md[k++] = "gcse-train-checkpoint";
	md[k++] = "version";
	md[k++] = "1";
	md[k++] = "meta";
	md[k++] = meta ? meta : "";
	for (int i = 0; i < NT; i++) {
		t[i].name = tname[i];
		t[i].dtype = dtype[i];
		t[i].ndim = 1;
		t[i].shape = &shape[i];
		t[i].data = data[i];
		snprintf(crc[i], sizeof crc[i], "%08x",
		         crc_buf(data[i], (size_t)shape[i] * st_dtype_size(dtype[i])));
		md[k++] = crcname[i];
		md[k++] = crc[i];
	}
	md[k] = NULL;
	char e[400];
	if (st_write(path, t, NT, md, e, sizeof e)) {
		seterr(err, errlen, "%s: %s", path, e);
		return -1;
	}
	return 0;
}

int train_ckpt_load(const char *path, train_ckpt *c, char **meta, char *err,
                    size_t errlen)
{
	const int dtype[NT] = { ST_F32, ST_F32, ST_F32, ST_I64, ST_I64, ST_U64 };
	const size_t want[NT] = { c->nparams, c->nparams, c->nparams, c->norder, 4, 4 };
	const st_tensor *t[NT];
	char e[400];
	int rc = -1;
	if (meta)
		*meta = NULL;
	st_file *f = st_open(path, e, sizeof e);
	if (!f) {
		seterr(err, errlen, "%s: %s", path, e);
		return -1;
	}
	const char *fmt = st_meta(f, "format"), *ver = st_meta(f, "version");
	if (!fmt || strcmp(fmt, "gcse-train-checkpoint")) {
		seterr(err, errlen, "%s: not a gcse training checkpoint", path);
		goto out;
	}
	if (!ver || strcmp(ver, "1")) {
		seterr(err, errlen, "%s: checkpoint version %s not supported (this program reads 1)",
		       path, ver ? ver : "(none)");
		goto out;
	}
	for (int i = 0; i < NT; i++) {
		t[i] = st_find(f, tname[i]);
		if (!t[i]) {
			seterr(err, errlen, "%s: no tensor \"%s\" (corrupt checkpoint)", path, tname[i]);
			goto out;
		}
		if (t[i]->dtype != dtype[i] || t[i]->ndim != 1) {
			seterr(err, errlen, "%s: tensor \"%s\" is %s with %d dimensions, expected %s "
			       "with 1", path, tname[i], st_dtype_name(t[i]->dtype), t[i]->ndim,
			       st_dtype_name(dtype[i]));
			goto out;
		}
		const char *cs = st_meta(f, crcname[i]);
		char *end = NULL;
		unsigned long expect = cs ? strtoul(cs, &end, 16) : 0;
		if (!cs || !*cs || *end) {
			seterr(err, errlen, "%s: no valid %s (corrupt checkpoint)", path, crcname[i]);
			goto out;
		}
		if (crc_buf(f->data + t[i]->begin, t[i]->end - t[i]->begin) != (uint32_t)expect) {
			seterr(err, errlen, "%s: tensor \"%s\": CRC mismatch (corrupt checkpoint)",
			       path, tname[i]);
			goto out;
		}
	}
	if (t[T_PARAMS]->numel != want[T_PARAMS] || t[T_M]->numel != want[T_M] ||
	    t[T_V]->numel != want[T_V]) {
		seterr(err, errlen, "%s: checkpoint has %zu parameters, the model has %zu "
		       "(a different model?)", path, t[T_PARAMS]->numel, c->nparams);
		goto out;
	}
	if (t[T_ORDER]->numel != want[T_ORDER]) {
		seterr(err, errlen, "%s: checkpoint was trained on %zu examples, the input has "
		       "%zu (different data?)", path, t[T_ORDER]->numel, c->norder);
		goto out;
	}
	if (t[T_COUNTERS]->numel != 4 || t[T_RNG]->numel != 4) {
		seterr(err, errlen, "%s: counters or rng state of the wrong size", path);
		goto out;
	}
	int64_t counters[4];
	uint64_t st[4];
	memcpy(counters, f->data + t[T_COUNTERS]->begin, sizeof counters);
	memcpy(st, f->data + t[T_RNG]->begin, sizeof st);
	if (counters[0] < 0 || counters[1] < 0 || counters[2] < 0 || counters[3] < 0 ||
	    (uint64_t)counters[2] > (uint64_t)c->norder) {
		seterr(err, errlen, "%s: invalid counters (step %lld, epoch %lld, position %lld "
		       "of %zu)", path, (long long)counters[0], (long long)counters[1],
		       (long long)counters[2], c->norder);
		goto out;
	}
	if (!(st[0] | st[1] | st[2] | st[3])) {
		seterr(err, errlen, "%s: invalid generator state (all zero)", path);
		goto out;
	}
	const int64_t *ord = (const int64_t *)(f->data + t[T_ORDER]->begin);
	for (size_t i = 0; i < c->norder; i++) {
		int64_t o;
		memcpy(&o, ord + i, sizeof o);
		if (o < 0 || (uint64_t)o >= (uint64_t)c->norder) {
			seterr(err, errlen, "%s: invalid example order (index %lld at %zu)", path,
			       (long long)o, i);
			goto out;
		}
	}
	const char *m = st_meta(f, "meta");
	if (meta && !(*meta = strdup(m ? m : ""))) {
		seterr(err, errlen, "%s: out of memory", path);
		goto out;
	}
	/* verified: copy out */
	if (c->nparams) {
		memcpy(c->params, f->data + t[T_PARAMS]->begin, c->nparams * sizeof(float));
		memcpy(c->adam_m, f->data + t[T_M]->begin, c->nparams * sizeof(float));
		memcpy(c->adam_v, f->data + t[T_V]->begin, c->nparams * sizeof(float));
	}
	if (c->norder)
		memcpy(c->order, f->data + t[T_ORDER]->begin, c->norder * sizeof(int64_t));
	c->step = counters[0];
	c->epoch = counters[1];
	c->pos = counters[2];
	c->adam_t = counters[3];
	memcpy(c->rng, st, sizeof st);
	rc = 0;
out:
	st_close(f);
	return rc;
}

/* ---- meta comparison ---- */

static int ignored(const char *k, const char *const *ignore)
{
	for (; ignore && *ignore; ignore++)
		if (!strcmp(k, *ignore))
			return 1;
	return 0;
}

static void append(char *msg, size_t msglen, size_t *used, const char *s)
{
	if (!msg || !msglen)
		return;
	size_t n = strlen(s);
	if (*used + n >= msglen)
		n = msglen - 1 - *used;
	memcpy(msg + *used, s, n);
	*used += n;
	msg[*used] = 0;
}

/* text of o[k], or "(absent)"; malloc'ed */
static char *value_text(jv o, const char *k)
{
	jv v = jv_object_get(jv_copy(o), jv_string(k));
	if (!jv_is_valid(v)) {
		jv_free(v);
		return strdup("(absent)");
	}
	jv s = jv_dump_string(v, 0);
	char *t = strdup(jv_string_value(s));
	jv_free(s);
	return t;
}

int ckpt_meta_diff(const char *saved, const char *now, const char *const *ignore,
                   char *msg, size_t msglen)
{
	size_t used = 0;
	if (msg && msglen)
		msg[0] = 0;
	jv a = jv_parse(saved ? saved : ""), b = jv_parse(now ? now : "");
	if (jv_get_kind(a) != JV_KIND_OBJECT || jv_get_kind(b) != JV_KIND_OBJECT) {
		jv_free(a);
		jv_free(b);
		return -1;
	}
	/* union of the keys, sorted, so the message is stable */
	jv keys = jv_keys(jv_copy(a));
	jv kb = jv_keys(jv_copy(b));
	int nb = jv_array_length(jv_copy(kb));
	for (int i = 0; i < nb; i++) {
		jv k = jv_array_get(jv_copy(kb), i);
		if (!jv_object_has(jv_copy(a), jv_copy(k)))
			keys = jv_array_append(keys, k);
		else
			jv_free(k);
	}
	jv_free(kb);
	keys = jv_sort(keys, jv_copy(keys));
	int n = jv_array_length(jv_copy(keys)), ndiff = 0;
	for (int i = 0; i < n; i++) {
		jv k = jv_array_get(jv_copy(keys), i);
		const char *ks = jv_string_value(k);
		if (!ignored(ks, ignore)) {
			jv va = jv_object_get(jv_copy(a), jv_copy(k));
			jv vb = jv_object_get(jv_copy(b), jv_copy(k));
			int same = jv_is_valid(va) && jv_is_valid(vb) && jv_equal(jv_copy(va), jv_copy(vb));
			jv_free(va);
			jv_free(vb);
			if (!same) {
				char *ta = value_text(a, ks), *tb = value_text(b, ks);
				if (ndiff)
					append(msg, msglen, &used, "; ");
				append(msg, msglen, &used, ks);
				append(msg, msglen, &used, ": ");
				append(msg, msglen, &used, ta ? ta : "?");
				append(msg, msglen, &used, " (checkpoint) vs ");
				append(msg, msglen, &used, tb ? tb : "?");
				append(msg, msglen, &used, " (now)");
				free(ta);
				free(tb);
				ndiff++;
			}
		}
		jv_free(k);
	}
	jv_free(keys);
	jv_free(a);
	jv_free(b);
	return ndiff;
}

/* ---- the run's meta ---- */

train_progress train_progress_start(int has_pooler)
{
	return (train_progress){0, 0, 0, 0, -INFINITY, 0, 0, has_pooler};
}

uint32_t train_tokenizer_crc(const struct tokenizer *tk)
{
	uLong c = crc32_z(0L, Z_NULL, 0);
	int V = tokenizer_vocab_size(tk);
	for (int i = 0; i < V; i++) {
		const char *s = tokenizer_token(tk, i);
		c = crc32_z(c, (const Bytef *)s, strlen(s));
		c = crc32_z(c, (const Bytef *)"\n", 1);
	}
	unsigned char flags[2] = {(unsigned char)tokenizer_lowercase(tk),
	                          (unsigned char)tokenizer_strip_accents(tk)};
	return (uint32_t)crc32_z(c, flags, 2);
}

char *train_meta_text(const train_settings *s, const train_progress *p)
{
	jv h = jv_object();
#define SETN(k, v) h = jv_object_set(h, jv_string(k), jv_number((double)(v)))
#define SETS(k, v) h = jv_object_set(h, jv_string(k), jv_string(v))
	SETS("loss", loss_kind_name((loss_kind)s->loss));
	SETN("temperature", s->tau);
	SETN("sigma", s->sigma);
	SETS("gate", s->symmetric ? "symmetric" : "one-sided");
	if (s->gate_cls)   /* only when set: older checkpoints keep their meta */
		SETS("gate_on", "cls");
	SETN("word_repeat", s->word_repeat);
	SETN("epochs", s->epochs);
	SETN("batch_size", s->batch_size);
	SETN("lr", s->lr);
	SETN("max_length", s->max_length);
	SETN("warmup", s->warmup);
	SETN("total_steps", s->total_steps);
	SETN("weight_decay", s->weight_decay);
	SETN("adamw", s->adamw);
	SETN("grad_clip", s->grad_clip);
	SETN("hidden_dropout", s->hidden_dropout);
	SETN("attention_dropout", s->attention_dropout);
	SETN("seed", s->seed);
	SETN("shuffle", s->shuffle);
	SETN("log_every", s->log_every);
	SETN("eval_every", s->eval_every);
	SETN("examples", s->examples);
	SETN("data_crc32", s->data_crc);
	SETN("params", s->params);
	SETN("tokenizer_crc32", s->tokenizer_crc);
	SETN("win_loss", p->win_loss);
	SETN("win_gate", p->win_gate);
	SETN("win_steps", p->win_steps);
	SETN("win_examples", p->win_examples);
	h = jv_object_set(h, jv_string("best_eval"), isfinite(p->best_eval) ? jv_number(p->best_eval) : jv_null());
	SETN("best_step", p->best_step);
	SETN("saved_out", p->saved_out);
	SETN("has_pooler", p->has_pooler);
#undef SETN
#undef SETS
	jv t = jv_dump_string(h, 0);
	char *r = strdup(jv_string_value(t));
	jv_free(t);
	return r;
}

/* o[k] as a number, or dflt when absent or not a number */
static double num(jv o, const char *k, double dflt)
{
	jv v = jv_object_get(jv_copy(o), jv_string(k));
	double r = jv_get_kind(v) == JV_KIND_NUMBER ? jv_number_value(v) : dflt;
	jv_free(v);
	return r;
}

int train_meta_resume(const char *saved, const train_settings *now, train_progress *p, int *usage,
                      char *err, size_t errlen)
{
	*usage = 0;
	jv sm = jv_parse(saved ? saved : "");
	if (jv_get_kind(sm) != JV_KIND_OBJECT) {
		jv_free(sm);
		seterr(err, errlen, "the checkpoint's meta is not a JSON object (a damaged checkpoint?)");
		return -1;
	}
	train_progress zero = train_progress_start(0);
	char *nowtext = train_meta_text(now, &zero), msg[2048];
	/* the data and the tokenizer are compared apart: they are not options */
	static const char *const ignore[] = {
		"win_loss", "win_gate", "win_steps", "win_examples", "best_eval", "best_step", "saved_out",
		"has_pooler", "data_crc32", "tokenizer_crc32", NULL,
	};
	int nd = nowtext ? ckpt_meta_diff(saved, nowtext, ignore, msg, sizeof msg) : -1;
	free(nowtext);
	double tk = num(sm, "tokenizer_crc32", -1), dc = num(sm, "data_crc32", -1);
	const char *also = nd > 0 ? "; and other settings: " : "";
	int rc = -1;
	if (nd < 0)
		seterr(err, errlen, "out of memory");
	else if (tk >= 0 && tk != (double)now->tokenizer_crc)
		seterr(err, errlen, "the checkpoint's tokenizer (vocab.txt, tokenizer_config.json) has "
		       "changed since the run started (tokenizer_crc32 %.0f, now %lu)%s%s", tk,
		       (unsigned long)now->tokenizer_crc, also, nd > 0 ? msg : "");
	else if (dc != (double)now->data_crc)
		seterr(err, errlen, "the input is not the data the run was trained on: the same number of "
		       "examples (%zu) but other token ids (data_crc32 %.0f, now %lu): other records%s%s%s",
		       now->examples, dc, (unsigned long)now->data_crc,
		       tk < 0 ? ", or an edited vocabulary in the checkpoint folder" : "", also,
		       nd > 0 ? msg : "");
	else if (nd > 0) {
		seterr(err, errlen, "the checkpoint was made with other settings: %s", msg);
		*usage = 1;
	} else
		rc = 0;
	if (rc == 0) {
		p->win_loss = num(sm, "win_loss", 0);
		p->win_gate = num(sm, "win_gate", 0);
		p->win_steps = (long)num(sm, "win_steps", 0);
		p->win_examples = (long)num(sm, "win_examples", 0);
		p->best_eval = num(sm, "best_eval", -INFINITY);
		p->best_step = (long)num(sm, "best_step", 0);
		p->saved_out = (int)num(sm, "saved_out", 0);
		p->has_pooler = (int)num(sm, "has_pooler", 0);
	}
	jv_free(sm);
	return rc;
}
