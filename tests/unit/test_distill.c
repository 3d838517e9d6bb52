/* test_distill.c — gcsetrain --loss distill against PyTorch
 * (tests/data/train/distill.safetensors, written by
 * scripts/make-distill-fixtures.py): the loss 1 - cos([CLS], teacher) of the
 * tiny model with a shorter (zero-padded) teacher and a zero teacher row, every
 * gradient, and the parameters after 3 AdamW steps of the training loop;
 * the kernel against finite differences. */
#include "t.h"
#include "fixture.h"
#include "nn/model.h"
#include "train/loss.h"
#include "train/optim.h"
#include "train/train.h"
#include "train/trainloop.h"

#include <stdint.h>

static char err[512];

/* Every encoder tensor against PREFIX.NAME (fx_compare); the number off. */
static int compare(st_file *f, const bert_config *c, const bert_params *p, const char *prefix,
                   double tol)
{
	fx_tensor *ts = malloc((size_t)bert_num_tensors(c) * sizeof *ts);
	int bad = fx_compare(f, ts, fx_encoder(c, p, ts), prefix, tol);
	free(ts);
	return bad;
}

/* The teacher rows zero-padded to C. */
static float *padded(const float *t, int B, int D, int C)
{
	float *p = calloc((size_t)B * C, sizeof *p);
	for (int i = 0; i < B; i++)
		memcpy(p + (size_t)i * C, t + (size_t)i * D, (size_t)D * sizeof *t);
	return p;
}

/* The engine by hand: forward to the [CLS] rows, the loss, its backward. */
static void test_distill_grads(void)
{
	st_file *f = fixture("distill.safetensors");
	bert_model *m = fixture_model();
	T_ASSERT(f && m);
	int B = atoi(st_meta(f, "B")), T = atoi(st_meta(f, "T")), D = atoi(st_meta(f, "D"));
	int C = m->cfg.hidden_size;
	size_t n = 0;
	int *ids = fx_ints(f, "ids", &n), *mask = fx_ints(f, "mask", NULL);
	float *tg = fx(f, "target", NULL);
	T_ASSERT(ids && mask && tg && n == (size_t)B * T && D < C);
	trainer *t = trainer_new(m, B, T, 1, err, sizeof err);
	T_ASSERT(t);
	t->hidden_p = t->att_p = 0;
	int qpos[64];
	for (int i = 0; i < B; i++)
		qpos[i] = i * T;
	trainer_zero_grad(t);
	T_ASSERT(train_forward_rows(t, ids, mask, B, T, 1, 5, qpos, B, err, sizeof err) == 0);
	float *tp = padded(tg, B, D, C), cosb[64], *du = calloc((size_t)B * C, sizeof *du);
	double L = distill_forward(t->cls, tp, B, C, cosb) / B, Lref = fx_double(f, "loss", 0);
	printf("# distill loss %.10g, torch %.10g\n", L, Lref);
	T_NEAR(L, Lref, 1e-6 * fabs(Lref));
	T_NEAR(cosb[3], 0, 0);   /* the zero teacher row */
	distill_backward(du, t->cls, tp, B, C, 1.0f / B, cosb);
	for (int c = 0; c < C; c++)
		T_ASSERT(du[3 * C + c] == 0);
	train_backward_rows(t, du);
	T_EQ_INT(compare(f, &t->cfg, &t->g, "grad", 1e-4), 0);
	free(tp), free(du), free(ids), free(mask), free(tg);
	trainer_free(t);
	model_free(m);
	st_close(f);
}

/* The training loop (lib/train/trainloop.h) for 3 steps: gradient norms and
 * the parameters after AdamW with torch's decay rule and clipping. */
static void test_distill_loop(void)
{
	st_file *f = fixture("distill.safetensors");
	bert_model *m = fixture_model();
	T_ASSERT(f && m);
	int B = atoi(st_meta(f, "B")), T = atoi(st_meta(f, "T")), D = atoi(st_meta(f, "D"));
	int steps = atoi(st_meta(f, "steps"));
	int *ids = fx_ints(f, "ids", NULL), *mask = fx_ints(f, "mask", NULL);
	float *tg = fx(f, "target", NULL);
	T_ASSERT(ids && mask && tg);
	train_data d;
	T_ASSERT(train_data_from_rows(&d, 1, (size_t)B, ids, mask, T, NULL, err, sizeof err) == 0);
	d.target = tg;   /* freed by train_data_free */
	d.tdim = D;
	train_loop_config c = {.loss = loss_config_default(LOSS_DISTILL), .clip = atof(st_meta(f, "max_norm")),
	                       .weight_decay = atof(st_meta(f, "weight_decay")), .adamw = 1, .seed = 3,
	                       .max_batch = B, .max_len = T, .pad_id = 0, .head_seed = 9};
	train_loop L;
	T_ASSERT(train_loop_init(&L, m, &c, err, sizeof err) == 0);
	L.t->hidden_p = L.t->att_p = 0;
	float *head0 = malloc((size_t)m->cfg.hidden_size * sizeof *head0);
	memcpy(head0, L.t->head.b, (size_t)m->cfg.hidden_size * sizeof *head0);
	int64_t idx[64];
	for (int i = 0; i < B; i++)
		idx[i] = i;
	for (int s = 0; s < steps; s++) {
		train_step_stats st;
		T_EQ_INT(train_loop_step(&L, &d, idx, B, NULL, NULL, s, fx_double(f, "lr", s), &st, err,
		                         sizeof err), 0);
		if (s == 0)
			T_NEAR(st.loss, fx_double(f, "loss", 0), 1e-6 * fx_double(f, "loss", 0));
		char key[32];
		snprintf(key, sizeof key, "norm%d", s);
		T_NEAR(st.norm, fx_double(f, key, 0), 1e-4 * fx_double(f, key, 0));
		T_ASSERT(st.gate == 0);
	}
	T_EQ_INT(compare(f, &L.t->cfg, &m->params, "step3", 1e-4), 0);
	/* the MLP head is not trained (and not decayed) */
	T_ASSERT(!memcmp(head0, L.t->head.b, (size_t)m->cfg.hidden_size * sizeof *head0));
	free(head0), free(ids), free(mask);
	train_loop_free(&L);
	train_data_free(&d);
	model_free(m);
	st_close(f);
}

/* distill_forward / distill_backward against central differences. */
static void test_distill_kernel(void)
{
	enum { N = 3, C = 7 };
	float u[N * C], t[N * C], du[N * C] = {0}, cs[N];
	uint64_t s = 99;
	for (int i = 0; i < N * C; i++) {
		s = s * 6364136223846793005ULL + 1442695040888963407ULL;
		u[i] = (float)((double)(s >> 40) / (1 << 24) - 0.5);
		s = s * 6364136223846793005ULL + 1442695040888963407ULL;
		t[i] = (float)((double)(s >> 40) / (1 << 24) - 0.5);
	}
	for (int c = 4; c < C; c++)   /* a shorter teacher, zero-padded */
		t[c] = t[C + c] = t[2 * C + c] = 0;
	double L = distill_forward(u, t, N, C, cs);
	T_ASSERT(L > 0 && L < 2 * N);
	distill_backward(du, u, t, N, C, 0.5f, cs);
	for (int k = 0; k < N * C; k++) {
		float keep = u[k];
		double h = 1e-3;
		u[k] = (float)(keep + h);
		double lp = distill_forward(u, t, N, C, cs);
		u[k] = (float)(keep - h);
		double lm = distill_forward(u, t, N, C, cs);
		u[k] = keep;
		T_NEAR(du[k], 0.5 * (lp - lm) / (2 * h), 2e-3);
	}
	/* the same vector: loss 0; the opposite: 2 */
	T_NEAR(distill_forward(u, u, N, C, cs), 0, 1e-6);
	for (int i = 0; i < N * C; i++)
		t[i] = -u[i];
	T_NEAR(distill_forward(u, t, N, C, cs), 2.0 * N, 1e-5);
	T_EQ_INT(loss_kind_parse("distill"), LOSS_DISTILL);
	T_EQ_STR(loss_kind_name(LOSS_DISTILL), "distill");
	T_EQ_INT(train_loop_rows(LOSS_DISTILL), 1);
}

int main(void)
{
	T_RUN(test_distill_grads);
	T_RUN(test_distill_loop);
	T_RUN(test_distill_kernel);
	return t_done();
}
