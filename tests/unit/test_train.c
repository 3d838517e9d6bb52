/* test_train.c — the whole training engine (lib/train/train.h) through the
 * step gcsetrain runs (train_loop_step, lib/train/trainloop.h) against
 * PyTorch (tests/data/train/grads.safetensors and tiny-model/, written by
 * scripts/make-grad-fixtures.py): loss and every parameter gradient under
 * each loss with dropout 0, the gradient norm of every step, and the
 * parameters after 3 Adam steps; the training forward with dropout is
 * deterministic for a key and independent of the thread count; with dropout
 * off it is bert_forward. */
#include "t.h"
#include "fixture.h"
#include "nn/bert.h"
#include "train/loss.h"
#include "nn/model.h"
#include "train/optim.h"
#include "nn/safetensors.h"
#include "train/train.h"
#include "base/gemm.h"
#include "train/trainloop.h"

#include <omp.h>
#include <stdint.h>
#include <unistd.h>

static char err[512];

static const char *root(void)
{
	const char *r = getenv("GCSE_ROOT");
	return r && *r ? r : ".";
}

/* the fixture's MLP head into t; 0 or -1 */
static int load_head(trainer *t)
{
	char path[1024];
	snprintf(path, sizeof path, "%s/tests/data/train/tiny-model/mlp_head.safetensors", root());
	if (train_head_load(t, path, err, sizeof err)) {
		printf("#   %s\n", err);
		return -1;
	}
	return 0;
}

static trainer *tiny_trainer(bert_model *m, int maxB, int maxT)
{
	trainer *t = trainer_new(m, maxB, maxT, 1, err, sizeof err);
	if (!t) {
		printf("#   trainer_new: %s\n", err);
		return NULL;
	}
	if (load_head(t)) {
		trainer_free(t);
		return NULL;
	}
	return t;
}

/* F32 copy of a fixture tensor that must have numel elements, or NULL */
static float *fx_f32(st_file *f, const char *name, size_t numel)
{
	size_t n = 0;
	float *x = fx(f, name, &n);
	if (!x || n != numel) {
		printf("#   fixture tensor %s missing or of %zu elements, not %zu\n", name, n, numel);
		free(x);
		return NULL;
	}
	return x;
}

/* The arena (encoder through bert_tensors, then the head) against the
 * fixture tensors PREFIX.NAME (fx_compare). */
static int compare_arena(st_file *f, const trainer *t, const bert_params *p, const mlp_head *hd,
                         const char *prefix, double tol)
{
	int nt = bert_num_tensors(&t->cfg);
	fx_tensor *ts = malloc((size_t)(nt + 2) * sizeof *ts);
	fx_encoder(&t->cfg, p, ts);
	size_t C = t->cfg.hidden_size;
	snprintf(ts[nt].name, sizeof ts[nt].name, "mlp.dense.weight");
	ts[nt].data = hd->W;
	ts[nt].numel = C * C;
	snprintf(ts[nt + 1].name, sizeof ts[nt + 1].name, "mlp.dense.bias");
	ts[nt + 1].data = hd->b;
	ts[nt + 1].numel = C;
	int bad = fx_compare(f, ts, nt + 2, prefix, tol);
	free(ts);
	return bad;
}

static void parity(const char *kind_name, loss_kind kind)
{
	st_file *f = fixture("grads.safetensors");
	bert_model *m = fixture_model();
	T_ASSERT(f && m);
	int N = atoi(st_meta(f, "N")), T = atoi(st_meta(f, "T")), steps = atoi(st_meta(f, "steps"));
	double max_norm = atof(st_meta(f, "max_norm"));
	size_t nids = 0;
	int *ids = fx_ints(f, "ids", &nids), *mask = fx_ints(f, "mask", NULL);
	T_ASSERT(ids && mask && nids == (size_t)3 * N * T);
	float *sprime = kind == LOSS_GCSE ? fx_f32(f, "sprime", N) : NULL;
	/* the fixture's rows [anchors | positives | negatives] as examples
	 * (simcse: the anchors, each twice in the batch) */
	train_data d;
	T_ASSERT(train_data_from_rows(&d, kind == LOSS_SIMCSE ? 1 : 3, (size_t)N, ids, mask, T, sprime,
	                              err, sizeof err) == 0);
	train_loop_config c = {.loss = loss_config_default(kind), .clip = max_norm, .seed = 99,
	                       .max_batch = N, .max_len = T, .pad_id = m->cfg.pad_token_id, .head_seed = 1};
	train_loop L;
	T_ASSERT(train_loop_init(&L, m, &c, err, sizeof err) == 0);
	trainer *t = L.t;
	T_ASSERT(load_head(t) == 0);
	t->hidden_p = t->att_p = 0.0f;
	int64_t idx[64];
	T_ASSERT(N <= 64);
	for (int i = 0; i < N; i++)
		idx[i] = i;
	rng r;
	rng_seed(&r, 1);
	char key[64];
	int bad = 0;
	for (int s = 0; s < steps; s++) {
		train_step_stats st;
		T_ASSERT(train_loop_step(&L, &d, idx, N, NULL, &r, s, fx_double(f, "lr", s), &st, err, sizeof err) == 0);
		if (s == 0) {
			snprintf(key, sizeof key, "%s.loss", kind_name);
			double Lref = fx_double(f, key, 0);
			printf("# %s loss %.10g, torch %.10g, rel err %.3g\n", kind_name, st.loss, Lref,
			       fabs(st.loss - Lref) / fabs(Lref));
			T_ASSERT(fabs(st.loss - Lref) <= 1e-5 * fabs(Lref));
			/* the gradients as the backward pass left them: undo the
			 * step's clipping (grad_clip_norm's coefficient) */
			double coef = max_norm / (st.norm + 1e-6);
			if (coef < 1)
				for (size_t i = 0; i < t->nparams; i++)
					t->grads[i] /= (float)coef;
			snprintf(key, sizeof key, "%s.grad", kind_name);
			bad += compare_arena(f, t, &t->g, &t->dhead, key, 1e-4);
		}
		snprintf(key, sizeof key, "%s.norm%d", kind_name, s);
		double nref = fx_double(f, key, 0);
		T_NEAR(st.norm, nref, 1e-4 * nref);
	}
	snprintf(key, sizeof key, "%s.step3", kind_name);
	/* Adam divides by sqrt(v): an element whose gradient is mostly
	 * rounding noise moves by up to lr either way, so the parameters
	 * after 3 steps get the gradients' tolerance */
	bad += compare_arena(f, t, &t->m->params, &t->head, key, 1e-4);
	T_EQ_INT(bad, 0);
	train_loop_free(&L);
	train_data_free(&d);
	model_free(m);
	free(ids); free(mask); free(sprime);
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
	bert_model *m = fixture_model();
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
		T_ASSERT(train_forward(t, ids, mask, B, T, 1, keys[k], err, sizeof err) == 0);
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
	T_ASSERT(train_forward(t, ids, mask, B, T, 0, 42, err, sizeof err) == 0);
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
	bert_model *m = fixture_model();
	T_ASSERT(m);
	const int B = 5, T = 10;
	trainer *t = tiny_trainer(m, B + 2, T + 3);
	T_ASSERT(t);
	int C = t->cfg.hidden_size, ids[50], mask[50];
	random_batch(ids, mask, B, T, t->cfg.vocab_size, 11);
	T_ASSERT(train_forward(t, ids, mask, B, T, 0, 0, err, sizeof err) == 0);
	bert_ctx *x = bert_ctx_new(m);
	T_ASSERT(bert_forward(x, ids, mask, B, T, err, sizeof err) == 0);
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
	bert_model *m = fixture_model();
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
	T_ASSERT(train_forward(t, ids, mask, 2, 4, 1, 1, err, sizeof err));
	T_ASSERT(strstr(err, "outside the vocabulary") != NULL);
	ids[5] = 7;
	mask[4] = mask[5] = 0;
	T_ASSERT(train_forward(t, ids, mask, 2, 4, 1, 1, err, sizeof err));
	T_ASSERT(strstr(err, "no real token") != NULL);
	T_ASSERT(train_forward(t, ids, mask, 3, 4, 1, 1, err, sizeof err));
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
