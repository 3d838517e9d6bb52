/* test_optim.c — Adam / AdamW, the warm-up schedule and clipping against
 * torch.optim (fixture from scripts/make-train-fixtures.py); determinism. */
#include "train/optim.h"
#include "base/rng.h"
#include "nn/safetensors.h"
#include "fixture.h"
#include "relerr.h"
#include "t.h"

#include <omp.h>

/* F64 vector (exact), n values into out; 0 if absent or of another size */
static int fx_f64(st_file *f, const char *name, double *out, size_t n)
{
	const st_tensor *t = st_find(f, name);
	if (!t || t->dtype != ST_F64 || t->numel != n)
		return 0;
	memcpy(out, f->data + t->begin, n * sizeof *out);
	return 1;
}

static void check_case(const char *cs, int decoupled)
{
	st_file *f = fixture("adam.safetensors");
	T_ASSERT(f);
	int steps = atoi(st_meta(f, "steps"));
	double base = atof(st_meta(f, "base_lr")), max_norm = atof(st_meta(f, "max_norm"));
	long warmup = atol(st_meta(f, "warmup")), total = atol(st_meta(f, "total"));
	T_ASSERT(steps == 3);
	size_t n = 0;
	char k[64];
	float *params = fx(f, "init", &n);
	snprintf(k, sizeof k, "%s.params", cs);
	float *want_p = fx(f, k, NULL);
	snprintf(k, sizeof k, "%s.m", cs);
	float *want_m = fx(f, k, NULL);
	snprintf(k, sizeof k, "%s.v", cs);
	float *want_v = fx(f, k, NULL);
	double lrs[3], norms[3], wd;
	snprintf(k, sizeof k, "%s.lr", cs);
	T_ASSERT(fx_f64(f, k, lrs, 3));
	snprintf(k, sizeof k, "%s.norm", cs);
	T_ASSERT(fx_f64(f, k, norms, 3));
	snprintf(k, sizeof k, "%s.wd", cs);
	T_ASSERT(fx_f64(f, k, &wd, 1));
	T_ASSERT(params && want_p && want_m && want_v);
	adam o;
	T_ASSERT(adam_init(&o, n) == 0);
	o.decoupled = decoupled;
	o.weight_decay = wd;
	float *g = malloc(n * sizeof *g);
	for (int s = 0; s < steps; s++) {
		snprintf(k, sizeof k, "grad.%d", s);
		float *gs = fx(f, k, NULL);
		T_ASSERT(gs);
		memcpy(g, gs, n * sizeof *g);
		free(gs);
		double lr = lr_linear_warmup(base, s, warmup, total);
		T_NEAR(lr, lrs[s], 1e-15);
		double nrm = grad_clip_norm(g, n, max_norm);
		T_NEAR(nrm, norms[s], 1e-6 * norms[s]);
		adam_step(&o, params, g, lr);
	}
	T_EQ_INT(o.t, 3);
	double ep = relerr(params, want_p, n), em = relerr(o.m, want_m, n), ev = relerr(o.v, want_v, n);
	printf("# %s: params rel %.2g, m rel %.2g, v rel %.2g\n", cs, ep, em, ev);
	T_ASSERT(ep <= 1e-5);
	T_ASSERT(em <= 1e-5);
	T_ASSERT(ev <= 1e-5);
	adam_free(&o);
	free(params), free(want_p), free(want_m), free(want_v), free(g);
	st_close(f);
}

static void test_adam_fixture(void) { check_case("adam", 0); }
static void test_adam_l2_fixture(void) { check_case("adam_l2", 0); }
static void test_adamw_fixture(void) { check_case("adamw", 1); }

static void test_schedule(void)
{
	/* warm-up 0..1 over 4 steps, then down to 0 at step 10 */
	T_NEAR(lr_linear_warmup(1.0, 0, 4, 10), 0.0, 0);
	T_NEAR(lr_linear_warmup(1.0, 1, 4, 10), 0.25, 1e-15);
	T_NEAR(lr_linear_warmup(1.0, 4, 4, 10), 1.0, 1e-15);
	T_NEAR(lr_linear_warmup(1.0, 7, 4, 10), 0.5, 1e-15);
	T_NEAR(lr_linear_warmup(1.0, 10, 4, 10), 0.0, 0);
	T_NEAR(lr_linear_warmup(1.0, 12, 4, 10), 0.0, 0);   /* never negative */
	/* no warm-up: starts at base */
	T_NEAR(lr_linear_warmup(3e-5, 0, 0, 100), 3e-5, 1e-20);
	T_NEAR(lr_linear_warmup(3e-5, 50, 0, 100), 1.5e-5, 1e-20);
	/* total == warmup: max(1, ...) guards the division */
	T_NEAR(lr_linear_warmup(1.0, 5, 5, 5), 0.0, 0);
}

static void test_clip(void)
{
	float g[4] = { 3, 4, 0, 0 };
	T_NEAR(grad_clip_norm(g, 4, 0), 5.0, 1e-12);   /* max_norm 0: measure only */
	T_ASSERT(g[0] == 3 && g[1] == 4);
	T_NEAR(grad_clip_norm(g, 4, 10), 5.0, 1e-12);  /* below the limit: unchanged */
	T_ASSERT(g[0] == 3 && g[1] == 4);
	T_NEAR(grad_clip_norm(g, 4, 1), 5.0, 1e-12);
	T_NEAR(g[0], 3.0 / (5 + 1e-6), 1e-7);
	T_NEAR(g[1], 4.0 / (5 + 1e-6), 1e-7);
	T_NEAR(grad_norm(g, 4), 5.0 / (5 + 1e-6), 1e-6);
	float bad[3] = { 1, NAN, 2 };
	T_ASSERT(!isfinite(grad_clip_norm(bad, 3, 1.0)));
	T_NEAR(grad_norm(g, 0), 0.0, 0);
}

/* Bitwise the same result with 1 and 2 threads; ranges compose. */
static void test_deterministic(void)
{
	const size_t n = 5 * 65536 + 123;
	float *p1 = malloc(n * 4), *p2 = malloc(n * 4), *p3 = malloc(n * 4), *g = malloc(n * 4);
	rng r;
	rng_seed(&r, 10);
	rng_fill_normal(&r, p1, n, 0, 1);
	rng_fill_normal(&r, g, n, 0, 1);
	memcpy(p2, p1, n * 4);
	memcpy(p3, p1, n * 4);
	adam a1, a2, a3;
	T_ASSERT(adam_init(&a1, n) == 0 && adam_init(&a2, n) == 0 && adam_init(&a3, n) == 0);
	a1.decoupled = a2.decoupled = a3.decoupled = 1;
	a1.weight_decay = a2.weight_decay = a3.weight_decay = 0.01;
	int saved = omp_get_max_threads();
	double n1 = 0, n2 = 0;
	for (int s = 0; s < 3; s++) {
		omp_set_num_threads(1);
		n1 = grad_norm(g, n);
		adam_step(&a1, p1, g, 1e-3);
		omp_set_num_threads(2);
		n2 = grad_norm(g, n);
		adam_step(&a2, p2, g, 1e-3);
		/* in two ranges */
		adam_begin_step(&a3);
		adam_update_range(&a3, p3, g, 1e-3, 0, 1000, 0.01);
		adam_update_range(&a3, p3, g, 1e-3, 1000, n, 0.01);
	}
	omp_set_num_threads(saved);
	T_ASSERT(n1 == n2);
	double ss = 0;
	for (size_t i = 0; i < n; i++)
		ss += (double)g[i] * g[i];
	T_NEAR(n1, sqrt(ss), 1e-9 * sqrt(ss));
	T_ASSERT(!memcmp(p1, p2, n * 4));
	T_ASSERT(!memcmp(a1.m, a2.m, n * 4) && !memcmp(a1.v, a2.v, n * 4));
	T_ASSERT(!memcmp(p1, p3, n * 4));
	/* a range with its own decay differs only inside the range */
	memcpy(p3, p1, n * 4);
	adam_begin_step(&a3);
	adam_update_range(&a3, p3, g, 1e-3, 0, 10, 0.0);
	T_ASSERT(p3[5] != p1[5] && p3[20] == p1[20]);
	adam_free(&a1), adam_free(&a2), adam_free(&a3);
	free(p1), free(p2), free(p3), free(g);
}

/* Weight decay by tensor: matrices and embeddings, not biases or LayerNorm;
 * the ranges of a model's arena say so element by element, cover it once,
 * and an Adam step over them is the per-tensor update gcsetrain made. */
static void test_decay_rule(void)
{
	T_EQ_INT(optim_decays(BERT_T_EMBEDDING), 1);
	T_EQ_INT(optim_decays(BERT_T_MATRIX), 1);
	T_EQ_INT(optim_decays(BERT_T_BIAS), 0);
	T_EQ_INT(optim_decays(BERT_T_LN_WEIGHT), 0);
	T_EQ_INT(optim_decays(BERT_T_LN_BIAS), 0);
	bert_config c;
	bert_config_defaults(&c);
	c.vocab_size = 50, c.hidden_size = 8, c.num_hidden_layers = 2, c.num_attention_heads = 2;
	c.intermediate_size = 16, c.max_position_embeddings = 12;
	char err[256];
	bert_model *m = model_init_random(&c, 5, err, sizeof err);
	T_ASSERT(m);
	int nt = bert_num_tensors(&c);
	bert_tensor *ts = malloc((size_t)(nt + 1) * sizeof *ts);
	decay_range *r = malloc((size_t)(nt + 1) * sizeof *r);
	bert_tensors(&c, &m->params, ts);
	size_t n = m->num_params;
	int nr = optim_decay_ranges(ts, nt, m->arena, n, 0.01, r);
	T_ASSERT(nr > 1 && nr < nt);
	/* in order, the whole arena once, neighbours of different decay */
	T_ASSERT(r[0].lo == 0 && r[nr - 1].hi == n);
	for (int i = 1; i < nr; i++)
		T_ASSERT(r[i].lo == r[i - 1].hi && r[i].wd != r[i - 1].wd);
	/* every element's decay is its tensor's, by name too */
	int named = 0;
	for (int k = 0; k < nt; k++) {
		size_t lo = (size_t)(ts[k].data - m->arena);
		for (size_t e = lo; e < lo + ts[k].numel; e++) {
			int i = 0;
			while (!(r[i].lo <= e && e < r[i].hi))
				i++;
			T_ASSERT(r[i].wd == (optim_decays(ts[k].kind) ? 0.01 : 0));
		}
		const char *nm = ts[k].name;
		int want = strstr(nm, "LayerNorm") || strstr(nm, ".bias") ? 0 : 1;
		T_EQ_INT(optim_decays(ts[k].kind), want);
		named += !strcmp(nm, "encoder.layer.1.attention.self.query.weight") ||
		         !strcmp(nm, "embeddings.LayerNorm.weight") || !strcmp(nm, "pooler.dense.bias");
	}
	T_EQ_INT(named, 3);
	/* no decay: one range, the arena */
	T_EQ_INT(optim_decay_ranges(ts, nt, m->arena, n, 0, r), 1);
	T_ASSERT(r[0].lo == 0 && r[0].hi == n && r[0].wd == 0);
	/* a gap, an overlap, a tensor outside the arena */
	T_EQ_INT(optim_decay_ranges(ts + 1, nt - 1, m->arena, n, 0.01, r), -1);
	ts[nt] = ts[3];
	T_EQ_INT(optim_decay_ranges(ts, nt + 1, m->arena, n, 0.01, r), -1);
	T_EQ_INT(optim_decay_ranges(ts, nt, m->arena, n - 1, 0.01, r), -1);
	/* an Adam step over the ranges == tensor by tensor with the rule, and
	 * with no decay == adam_step */
	nr = optim_decay_ranges(ts, nt, m->arena, n, 0.01, r);
	float *p1 = malloc(n * 4), *p2 = malloc(n * 4), *g = malloc(n * 4);
	rng q;
	rng_seed(&q, 3);
	rng_fill_normal(&q, g, n, 0, 1);
	memcpy(p1, m->arena, n * 4);
	memcpy(p2, m->arena, n * 4);
	adam a1, a2;
	T_ASSERT(adam_init(&a1, n) == 0 && adam_init(&a2, n) == 0);
	for (int s = 0; s < 2; s++) {
		adam_step_ranges(&a1, p1, g, 1e-3, r, nr);
		adam_begin_step(&a2);
		for (int k = 0; k < nt; k++) {
			size_t lo = (size_t)(ts[k].data - m->arena);
			adam_update_range(&a2, p2, g, 1e-3, lo, lo + ts[k].numel,
			                  ts[k].kind == BERT_T_MATRIX || ts[k].kind == BERT_T_EMBEDDING ? 0.01 : 0);
		}
	}
	T_ASSERT(!memcmp(p1, p2, n * 4));
	T_ASSERT(memcmp(p1, m->arena, n * 4));
	decay_range all = {0, n, 0};
	memcpy(p1, m->arena, n * 4);
	memcpy(p2, m->arena, n * 4);
	adam_free(&a1), adam_free(&a2);
	T_ASSERT(adam_init(&a1, n) == 0 && adam_init(&a2, n) == 0);
	adam_step_ranges(&a1, p1, g, 1e-3, &all, 1);
	adam_step(&a2, p2, g, 1e-3);
	T_ASSERT(!memcmp(p1, p2, n * 4));
	adam_free(&a1), adam_free(&a2);
	free(p1), free(p2), free(g), free(ts), free(r);
	model_free(m);
}

int main(void)
{
	T_RUN(test_adam_fixture);
	T_RUN(test_adam_l2_fixture);
	T_RUN(test_adamw_fixture);
	T_RUN(test_schedule);
	T_RUN(test_clip);
	T_RUN(test_deterministic);
	T_RUN(test_decay_rule);
	return t_done();
}
