/* test_train.c — the whole training engine (lib/train/train.h) against PyTorch
 * (tests/data/train/grads.safetensors and tiny-model/, written by
 * scripts/make-grad-fixtures.py): loss and every parameter gradient under
 * each loss with dropout 0, and the parameters after 3 Adam steps; the
 * training forward with dropout is deterministic for a key and independent
 * of the thread count; with dropout off it is bert_forward. */
#include "t.h"
#include "nn/bert.h"
#include "train/loss.h"
#include "nn/model.h"
#include "train/optim.h"
#include "nn/safetensors.h"
#include "train/train.h"
#include "base/gemm.h"

#include <omp.h>
#include <stdint.h>
#include <unistd.h>

static char err[512];

static const char *root(void)
{
	const char *r = getenv("GCSE_ROOT");
	return r && *r ? r : ".";
}

static st_file *fixture(void)
{
	char path[1024];
	snprintf(path, sizeof path, "%s/tests/data/train/grads.safetensors", root());
	st_file *f = st_open(path, err, sizeof err);
	if (!f)
		printf("#   %s: %s\n", path, err);
	return f;
}

static bert_model *tiny_model(void)
{
	char path[1024];
	snprintf(path, sizeof path, "%s/tests/data/train/tiny-model", root());
	bert_model *m = model_load(path, err, sizeof err);
	if (!m)
		printf("#   %s: %s\n", path, err);
	return m;
}

static trainer *tiny_trainer(bert_model *m, int maxB, int maxT)
{
	trainer *t = trainer_new(m, maxB, maxT, 1, err, sizeof err);
	if (!t) {
		printf("#   trainer_new: %s\n", err);
		return NULL;
	}
	char path[1024];
	snprintf(path, sizeof path, "%s/tests/data/train/tiny-model/mlp_head.safetensors", root());
	if (train_head_load(t, path, err, sizeof err)) {
		printf("#   %s\n", err);
		trainer_free(t);
		return NULL;
	}
	return t;
}

static int *fx_int(st_file *f, const char *name, size_t *n)
{
	const st_tensor *t = st_find(f, name);
	if (!t)
		return NULL;
	int64_t *v = malloc(t->numel * sizeof *v);
	int *x = malloc(t->numel * sizeof *x);
	st_to_i64(f, t, v, err, sizeof err);
	for (size_t i = 0; i < t->numel; i++)
		x[i] = (int)v[i];
	free(v);
	if (n)
		*n = t->numel;
	return x;
}

static float *fx_f32(st_file *f, const char *name, size_t numel)
{
	const st_tensor *t = st_find(f, name);
	if (!t || t->numel != numel) {
		printf("#   fixture tensor %s missing or of %zu elements, not %zu\n", name,
		       t ? t->numel : 0, numel);
		return NULL;
	}
	float *x = malloc((numel ? numel : 1) * sizeof *x);
	st_to_f32(f, t, x, err, sizeof err);
	return x;
}

static double fx_f64(st_file *f, const char *name, int i)
{
	const st_tensor *t = st_find(f, name);
	double v = NAN;
	if (t && t->dtype == ST_F64 && (size_t)i < t->numel)
		memcpy(&v, f->data + t->begin + (size_t)i * 8, 8);
	return v;
}

/* Forward, loss, backward of one batch; returns the loss. */
static double step_grads(trainer *t, loss_ws *lw, const loss_config *lc, const int *ids,
                         const int *mask, int N, int T, const float *sprime, float *dh)
{
	int simcse = lc->kind == LOSS_SIMCSE, rows = simcse ? 2 * N : 3 * N;
	int C = t->cfg.hidden_size;
	int *bid = malloc((size_t)rows * T * sizeof *bid), *bmask = malloc((size_t)rows * T * sizeof *bmask);
	for (int r = 0; r < rows; r++) {
		int src = simcse ? r % N : r;
		memcpy(bid + (size_t)r * T, ids + (size_t)src * T, (size_t)T * sizeof *bid);
		memcpy(bmask + (size_t)r * T, mask + (size_t)src * T, (size_t)T * sizeof *bmask);
	}
	double L = NAN;
	if (train_forward(t, bid, bmask, rows, T, 1, 99, err, sizeof err)) {
		const float *h = t->h;
		L = loss_forward(lw, lc, h, h + (size_t)N * C, simcse ? NULL : h + (size_t)2 * N * C,
		                 sprime, N);
		memset(dh, 0, (size_t)rows * C * sizeof *dh);
		loss_backward(lw, dh, dh + (size_t)N * C, simcse ? NULL : dh + (size_t)2 * N * C, 1.0f);
		train_backward(t, dh);
	} else
		printf("#   train_forward: %s\n", err);
	free(bid);
	free(bmask);
	return L;
}

static double maxabs(const float *x, size_t n)
{
	double m = 0;
	for (size_t i = 0; i < n; i++)
		m = fmax(m, fabs((double)x[i]));
	return m;
}

/* max |x - ref| / max(max |ref|, floor): the floor (a millionth of the
 * largest entry of the whole arena) covers tensors that are 0 in exact
 * arithmetic (the pooler, unused; torch's key bias gradient, 1e-17) */
static double relerr(const float *x, const float *ref, size_t n, double floor)
{
	double md = 0;
	for (size_t i = 0; i < n; i++) {
		double d = fabs((double)x[i] - ref[i]);
		md = d > md || d != d ? d : md;
	}
	return md / fmax(maxabs(ref, n), floor);
}

/* Compare the arena (encoder through bert_tensors, then the head) with the
 * fixture tensors PREFIX.NAME; prints the largest error per tensor. */
static int compare_arena(st_file *f, const trainer *t, const bert_params *p, const mlp_head *hd,
                         const char *prefix, double tol)
{
	int nt = bert_num_tensors(&t->cfg), bad = 0;
	bert_tensor *ts = malloc((size_t)(nt + 2) * sizeof *ts);
	bert_tensors(&t->cfg, p, ts);
	size_t C = t->cfg.hidden_size;
	snprintf(ts[nt].name, sizeof ts[nt].name, "mlp.dense.weight");
	ts[nt].data = hd->W;
	ts[nt].numel = C * C;
	snprintf(ts[nt + 1].name, sizeof ts[nt + 1].name, "mlp.dense.bias");
	ts[nt + 1].data = hd->b;
	ts[nt + 1].numel = C;
	double worst = 0, floor = 0;
	const char *wname = "";
	for (int i = 0; i < nt + 2; i++) {
		char key[160];
		snprintf(key, sizeof key, "%s.%s", prefix, ts[i].name);
		float *ref = fx_f32(f, key, ts[i].numel);
		if (ref)
			floor = fmax(floor, 1e-6 * maxabs(ref, ts[i].numel));
		free(ref);
	}
	for (int i = 0; i < nt + 2; i++) {
		char key[160];
		snprintf(key, sizeof key, "%s.%s", prefix, ts[i].name);
		float *ref = fx_f32(f, key, ts[i].numel);
		if (!ref) {
			bad++;
			continue;
		}
		double e = relerr(ts[i].data, ref, ts[i].numel, floor);
		if (!(e <= tol)) {
			printf("#   %s: rel err %.3g > %g\n", key, e, tol);
			bad++;
		}
		if (!(e <= worst)) {
			worst = e;
			wname = ts[i].name;
		}
		free(ref);
	}
	printf("# %s: %d tensors, worst rel err %.3g (%s)\n", prefix, nt + 2, worst, wname);
	free(ts);
	return bad;
}

static void parity(const char *kind_name, loss_kind kind)
{
	st_file *f = fixture();
	bert_model *m = tiny_model();
	T_ASSERT(f && m);
	int N = atoi(st_meta(f, "N")), T = atoi(st_meta(f, "T")), steps = atoi(st_meta(f, "steps"));
	double max_norm = atof(st_meta(f, "max_norm"));
	size_t nids = 0;
	int *ids = fx_int(f, "ids", &nids), *mask = fx_int(f, "mask", NULL);
	T_ASSERT(ids && mask && nids == (size_t)3 * N * T);
	float *sprime = kind == LOSS_GCSE ? fx_f32(f, "sprime", N) : NULL;
	trainer *t = tiny_trainer(m, 3 * N, T);
	T_ASSERT(t);
	t->hidden_p = t->att_p = 0.0f;
	int C = t->cfg.hidden_size;
	loss_ws lw;
	T_ASSERT(loss_ws_init(&lw, N, C) == 0);
	loss_config lc = loss_config_default(kind);
	float *dh = malloc((size_t)3 * N * C * sizeof *dh);
	adam opt;
	T_ASSERT(adam_init(&opt, t->nparams) == 0);
	char key[64];
	int bad = 0;
	for (int s = 0; s < steps; s++) {
		trainer_zero_grad(t);
		double L = step_grads(t, &lw, &lc, ids, mask, N, T, sprime, dh);
		if (s == 0) {
			snprintf(key, sizeof key, "%s.loss", kind_name);
			double Lref = fx_f64(f, key, 0);
			printf("# %s loss %.10g, torch %.10g, rel err %.3g\n", kind_name, L, Lref,
			       fabs(L - Lref) / fabs(Lref));
			T_ASSERT(fabs(L - Lref) <= 1e-5 * fabs(Lref));
			snprintf(key, sizeof key, "%s.grad", kind_name);
			bad += compare_arena(f, t, &t->g, &t->dhead, key, 1e-4);
		}
		double norm = grad_clip_norm(t->grads, t->nparams, max_norm);
		snprintf(key, sizeof key, "%s.norm%d", kind_name, s);
		double nref = fx_f64(f, key, 0);
		T_NEAR(norm, nref, 1e-4 * nref);
		adam_step(&opt, t->params, t->grads, fx_f64(f, "lr", s));
	}
	snprintf(key, sizeof key, "%s.step3", kind_name);
	/* Adam divides by sqrt(v): an element whose gradient is mostly
	 * rounding noise moves by up to lr either way, so the parameters
	 * after 3 steps get the gradients' tolerance */
	bad += compare_arena(f, t, &t->m->params, &t->head, key, 1e-4);
	T_EQ_INT(bad, 0);
	adam_free(&opt);
	loss_ws_free(&lw);
	trainer_free(t);
	model_free(m);
	free(ids); free(mask); free(sprime); free(dh);
	st_close(f);
}

static void test_parity_simcse(void) { parity("simcse", LOSS_SIMCSE); }
static void test_parity_contrastive(void) { parity("contrastive", LOSS_CONTRASTIVE); }
static void test_parity_gcse(void) { parity("gcse", LOSS_GCSE); }

static void set_threads(int n)
{
	omp_set_num_threads(n);
	gemm_set_threads(n);
}

/* A batch of B random rows of T tokens with ragged lengths. */
static void random_batch(int *ids, int *mask, int B, int T, int V, uint64_t seed)
{
	for (int b = 0; b < B; b++) {
		int n = 2 + (int)((seed + 7 * (uint64_t)b) % (uint64_t)(T - 1));
		for (int i = 0; i < T; i++) {
			seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
			ids[b * T + i] = i == 0 ? 2 : i < n ? 5 + (int)((seed >> 33) % (uint64_t)(V - 5)) : 0;
			mask[b * T + i] = i < n;
		}
	}
}

static void test_dropout_forward_deterministic(void)
{
	bert_model *m = tiny_model();
	T_ASSERT(m);
	const int B = 6, T = 12;
	trainer *t = tiny_trainer(m, B, T);
	T_ASSERT(t);
	t->hidden_p = 0.2f;
	t->att_p = 0.15f;
	int C = t->cfg.hidden_size, ids[72], mask[72];
	random_batch(ids, mask, B, T, t->cfg.vocab_size, 3);
	size_t nh = (size_t)B * C;
	float *h[4], *g[2], *dh = malloc(nh * sizeof *dh);
	for (size_t i = 0; i < nh; i++)
		dh[i] = (float)((i * 37) % 11) / 11.0f - 0.5f;
	int threads[4] = {1, 2, 2, 2};   /* (more threads than the 2 cores of CI spin) */
	uint64_t keys[4] = {42, 42, 42, 43};
	for (int k = 0; k < 4; k++) {
		set_threads(threads[k]);
		T_ASSERT(train_forward(t, ids, mask, B, T, 1, keys[k], err, sizeof err));
		h[k] = malloc(nh * sizeof *h[k]);
		memcpy(h[k], t->h, nh * sizeof *h[k]);
		if (k < 2) {
			trainer_zero_grad(t);
			train_backward(t, dh);
			g[k] = malloc(t->nparams * sizeof *g[k]);
			memcpy(g[k], t->grads, t->nparams * sizeof *g[k]);
		}
	}
	set_threads(1);
	T_ASSERT(!memcmp(h[0], h[1], nh * sizeof(float)));   /* 1 vs 2 threads */
	T_ASSERT(!memcmp(h[1], h[2], nh * sizeof(float)));   /* the same key twice */
	T_ASSERT(!memcmp(g[0], g[1], t->nparams * sizeof(float)));
	T_ASSERT(memcmp(h[0], h[3], nh * sizeof(float)));    /* another key: other masks */
	/* dropout really acts: the output differs from the forward without it */
	T_ASSERT(train_forward(t, ids, mask, B, T, 0, 42, err, sizeof err));
	T_ASSERT(memcmp(h[0], t->h, nh * sizeof(float)));
	for (int k = 0; k < 4; k++)
		free(h[k]);
	free(g[0]); free(g[1]); free(dh);
	trainer_free(t);
	model_free(m);
}

/* With dropout off (train == 0) the training forward is the inference
 * forward, bit for bit (the [CLS]-only last layer included). */
static void test_forward_equals_bert_forward(void)
{
	bert_model *m = tiny_model();
	T_ASSERT(m);
	const int B = 5, T = 10;
	trainer *t = tiny_trainer(m, B + 2, T + 3);
	T_ASSERT(t);
	int C = t->cfg.hidden_size, ids[50], mask[50];
	random_batch(ids, mask, B, T, t->cfg.vocab_size, 11);
	T_ASSERT(train_forward(t, ids, mask, B, T, 0, 0, err, sizeof err));
	bert_ctx *x = bert_ctx_new(m, 0);
	T_ASSERT(bert_forward(x, ids, mask, B, T, err, sizeof err));
	double md = 0, mr = 0;
	for (int b = 0; b < B; b++)
		for (int i = 0; i < C; i++) {
			md = fmax(md, fabs((double)t->cls[(size_t)b * C + i] - x->hidden[(size_t)b * T * C + i]));
			mr = fmax(mr, fabs((double)x->hidden[(size_t)b * T * C + i]));
		}
	printf("# [CLS] of train_forward vs bert_forward: max diff %.3g (max %.3g)\n", md, mr);
	T_ASSERT(md == 0);
	bert_ctx_free(x);
	trainer_free(t);
	model_free(m);
}

/* The head file round-trips; bad input is refused with a message. */
static void test_head_file_and_errors(void)
{
	bert_model *m = tiny_model();
	T_ASSERT(m);
	trainer *t = tiny_trainer(m, 2, 4);
	T_ASSERT(t);
	int C = t->cfg.hidden_size;
	char path[] = "/tmp/gcse-test-head-XXXXXX";
	int fd = mkstemp(path);
	T_ASSERT(fd >= 0);
	close(fd);
	float w3 = t->head.W[3];
	T_ASSERT(train_head_save(t, path, err, sizeof err) == 0);
	t->head.W[3] = 0;
	T_ASSERT(train_head_load(t, path, err, sizeof err) == 0);
	T_ASSERT(t->head.W[3] == w3);
	unlink(path);
	int ids[8] = {2, 5, 6, 3, 2, 1000, 0, 0}, mask[8] = {1, 1, 1, 1, 1, 1, 0, 0};
	T_ASSERT(!train_forward(t, ids, mask, 2, 4, 1, 1, err, sizeof err));
	T_ASSERT(strstr(err, "outside the vocabulary") != NULL);
	ids[5] = 7;
	mask[4] = mask[5] = 0;
	T_ASSERT(!train_forward(t, ids, mask, 2, 4, 1, 1, err, sizeof err));
	T_ASSERT(strstr(err, "no real token") != NULL);
	T_ASSERT(!train_forward(t, ids, mask, 3, 4, 1, 1, err, sizeof err));
	T_ASSERT(trainer_act_bytes(t) > (size_t)2 * 4 * C * sizeof(float));
	trainer_free(t);
	model_free(m);
}

int main(void)
{
	/* tiny models: one thread (thread independence has its own test) */
	set_threads(1);
	T_RUN(test_parity_simcse);
	T_RUN(test_parity_contrastive);
	T_RUN(test_parity_gcse);
	T_RUN(test_dropout_forward_deterministic);
	T_RUN(test_forward_equals_bert_forward);
	T_RUN(test_head_file_and_errors);
	return t_done();
}
