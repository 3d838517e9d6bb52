/* test_mlm.c — masked-LM pretraining (lib/train/mlm.h, train_forward_rows /
 * train_mlm_loss) against PyTorch (tests/data/train/mlm.safetensors, written
 * by scripts/make-mlm-fixtures.py): the loss and every gradient of the tiny
 * model with BertForMaskedLM's head, the parameters after 3 AdamW steps
 * (no decay on biases and LayerNorm weights), the saved tensor names; the
 * cross-entropy kernel against its naive twin; the choice of positions. */
#include "t.h"
#include "fixture.h"
#include "nn/model.h"
#include "nn/layers.h"
#include "train/mlm.h"
#include "train/trainloop.h"
#include "train/optim.h"
#include "train/train.h"

#include <stdint.h>
#include <unistd.h>

static char err[512];

/* The encoder's tensors and the head's, with their fixture names, into
 * out; decay[i]: whether tensor i gets weight decay. */
static int arena_tensors(const trainer *t, const bert_params *p, const mlm_head *h, fx_tensor *out, int *decay)
{
	int nt = bert_num_tensors(&t->cfg), n = 0;
	bert_tensor *ts = malloc((size_t)nt * sizeof *ts);
	bert_tensors(&t->cfg, p, ts);
	for (int i = 0; i < nt; i++, n++) {
		snprintf(out[n].name, sizeof out[n].name, "%s", ts[i].name);
		out[n].data = ts[i].data;
		out[n].numel = ts[i].numel;
		/* the pooler gets no gradient from masked-LM: torch skips it, no decay */
		decay[n] = (ts[i].kind == BERT_T_EMBEDDING || ts[i].kind == BERT_T_MATRIX) && !ts[i].pooler;
	}
	free(ts);
	st_out so[MLM_NTENSORS];
	int64_t shapes[MLM_NTENSORS][2];
	mlm_head_tensors(h, t->cfg.hidden_size, t->cfg.vocab_size, so, shapes);
	for (int i = 0; i < MLM_NTENSORS; i++, n++) {
		snprintf(out[n].name, sizeof out[n].name, "%s", so[i].name);
		out[n].data = so[i].data;
		out[n].numel = (size_t)shapes[i][0] * (so[i].ndim == 2 ? (size_t)shapes[i][1] : 1);
		decay[n] = i == 0;
	}
	return n;
}

static void test_mlm_parity(void)
{
	st_file *f = fixture("mlm.safetensors");
	bert_model *m = fixture_model();
	T_ASSERT(f && m);
	int B = atoi(st_meta(f, "B")), T = atoi(st_meta(f, "T")), R = atoi(st_meta(f, "R"));
	int steps = atoi(st_meta(f, "steps"));
	double max_norm = atof(st_meta(f, "max_norm")), wd = atof(st_meta(f, "weight_decay"));
	size_t nids = 0, nq = 0;
	int *ids = fx_ints(f, "ids", &nids), *mask = fx_ints(f, "mask", NULL);
	int *qpos = fx_ints(f, "qpos", &nq), *labels = fx_ints(f, "labels", NULL);
	T_ASSERT(ids && mask && qpos && labels && nids == (size_t)B * T && nq == (size_t)R);
	trainer *t = trainer_new_mlm(m, B, T, R, 1, err, sizeof err);
	T_ASSERT(t);
	char path[1024];
	snprintf(path, sizeof path, "%s/tests/data/train/mlm.safetensors",
	         getenv("GCSE_ROOT") ? getenv("GCSE_ROOT") : ".");
	/* the head's tensors are in the fixture under BertForMaskedLM's names */
	T_EQ_INT(mlm_head_load(&t->mlmh, path, t->cfg.hidden_size, t->cfg.vocab_size, err, sizeof err), 1);
	t->hidden_p = t->att_p = 0.0f;
	mlm_ws w;
	T_ASSERT(mlm_ws_init(&w, R, t->cfg.hidden_size, t->cfg.vocab_size) == 0);
	int nt = bert_num_tensors(&t->cfg) + MLM_NTENSORS;
	fx_tensor *grads = malloc((size_t)nt * sizeof *grads), *params = malloc((size_t)nt * sizeof *params);
	int *decay = malloc((size_t)nt * sizeof *decay);
	arena_tensors(t, &t->g, &t->dmlmh, grads, decay);
	arena_tensors(t, &t->m->params, &t->mlmh, params, decay);
	adam opt;
	T_ASSERT(adam_init(&opt, t->nparams) == 0);
	opt.decoupled = 1;
	int bad = 0;
	for (int s = 0; s < steps; s++) {
		trainer_zero_grad(t);
		T_ASSERT(train_forward_rows(t, ids, mask, B, T, 1, 5, qpos, R, err, sizeof err) == 0);
		int correct = -1;
		double L = train_mlm_loss(t, &w, labels, 1.0f / R, 1, &correct);
		T_ASSERT(correct >= 0 && correct <= R);
		if (s == 0) {
			double Lref = fx_double(f, "loss", 0);
			printf("# mlm loss %.10g, torch %.10g, rel err %.3g\n", L, Lref, fabs(L - Lref) / Lref);
			T_ASSERT(fabs(L - Lref) <= 1e-5 * fabs(Lref));
			bad += fx_compare(f, grads, nt, "grad", 1e-4);
		}
		char key[32];
		snprintf(key, sizeof key, "norm%d", s);
		double norm = grad_clip_norm(t->grads, t->nparams, max_norm), nref = fx_double(f, key, 0);
		T_NEAR(norm, nref, 1e-4 * nref);
		double lr = fx_double(f, "lr", s);
		adam_begin_step(&opt);
		for (int i = 0; i < nt; i++) {
			size_t lo = (size_t)(params[i].data - t->params);
			adam_update_range(&opt, t->params, t->grads, lr, lo, lo + params[i].numel,
			                  decay[i] ? wd : 0);
		}
	}
	bad += fx_compare(f, params, nt, "step3", 1e-4);
	T_EQ_INT(bad, 0);
	adam_free(&opt);
	mlm_ws_free(&w);
	free(grads), free(params), free(decay);
	free(ids), free(mask), free(qpos), free(labels);
	trainer_free(t);
	model_free(m);
	st_close(f);
}

/* The directory written after masked-LM holds what BertForMaskedLM's
 * save_pretrained writes, and loads back as a plain encoder. */
static void test_mlm_save_names(void)
{
	st_file *f = fixture("mlm.safetensors");
	bert_model *m = fixture_model();
	T_ASSERT(f && m);
	trainer *t = trainer_new_mlm(m, 2, 8, 4, 1, err, sizeof err);
	T_ASSERT(t);
	char dir[] = "/tmp/test_mlm.XXXXXX";
	T_ASSERT(mkdtemp(dir));
	T_EQ_INT(train_mlm_save(t, dir, err, sizeof err), 0);
	char path[600];
	snprintf(path, sizeof path, "%s/model.safetensors", dir);
	st_file *g = st_open(path, err, sizeof err);
	T_ASSERT(g);
	const char *want = st_meta(f, "saved_names");
	T_ASSERT(want);
	int nwant = 0;
	for (const char *p = want; p && *p;) {
		const char *e = strchr(p, '\n');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		char name[200];
		snprintf(name, sizeof name, "%.*s", (int)len, p);
		if (!st_find(g, name))
			T_FAIL("saved model lacks %s", name);
		nwant++;
		p = e ? e + 1 : NULL;
	}
	T_EQ_INT(g->ntensors, nwant);
	/* the head round-trips, and the encoder loads as a plain model */
	mlm_head h2;
	float *buf = malloc(mlm_head_size(t->cfg.hidden_size, t->cfg.vocab_size) * sizeof *buf);
	mlm_head_point(&h2, buf, t->cfg.hidden_size, t->cfg.vocab_size);
	T_EQ_INT(mlm_head_load(&h2, path, t->cfg.hidden_size, t->cfg.vocab_size, err, sizeof err), 1);
	T_ASSERT(!memcmp(h2.bias, t->mlmh.bias, t->cfg.vocab_size * sizeof(float)));
	T_ASSERT(!memcmp(h2.W, t->mlmh.W, (size_t)t->cfg.hidden_size * t->cfg.hidden_size * sizeof(float)));
	bert_model *m2 = model_load(dir, err, sizeof err);
	T_ASSERT(m2);
	T_ASSERT(!memcmp(m2->params.wte, t->m->params.wte,
	                 (size_t)t->cfg.vocab_size * t->cfg.hidden_size * sizeof(float)));
	/* a file without a head: 0, the head untouched */
	snprintf(path, sizeof path, "%s/tests/data/train/tiny-model/model.safetensors",
	         getenv("GCSE_ROOT") ? getenv("GCSE_ROOT") : ".");
	T_EQ_INT(mlm_head_load(&h2, path, t->cfg.hidden_size, t->cfg.vocab_size, err, sizeof err), 0);
	/* another vocabulary size: an error that says so */
	snprintf(path, sizeof path, "%s/model.safetensors", dir);
	T_EQ_INT(mlm_head_load(&h2, path, t->cfg.hidden_size, t->cfg.vocab_size + 1, err, sizeof err), -1);
	T_ASSERT(strstr(err, "does not match"));
	free(buf);
	model_free(m2);
	st_close(g);
	char cmd[700];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	T_ASSERT(system(cmd) == 0);
	trainer_free(t);
	model_free(m);
	st_close(f);
}

static void test_crossentropy(void)
{
	int R = 5, V = 37;
	float *a = malloc((size_t)R * V * sizeof *a), *b = malloc((size_t)R * V * sizeof *b);
	double la[5], lb[5];
	int labels[5] = {0, 36, 7, 7, 20};
	rng r;
	rng_seed(&r, 3);
	for (int i = 0; i < R * V; i++)
		a[i] = b[i] = (float)(6 * rng_normal(&r));
	a[2 * V + 7] = b[2 * V + 7] = 60;     /* a confident right answer */
	a[3 * V + 1] = b[3 * V + 1] = 60;     /* a confident wrong one */
	crossentropy_forward(a, la, labels, R, V);
	crossentropy_forward_naive(b, lb, labels, R, V);
	for (int i = 0; i < R; i++)
		T_NEAR(la[i], lb[i], 1e-5 * fmax(1, fabs(lb[i])));
	T_ASSERT(la[2] < 1e-6 && la[3] > 40);
	double md = 0;
	for (int i = 0; i < R * V; i++)
		md = fmax(md, fabs((double)a[i] - b[i]));
	T_ASSERT(md < 1e-6);
	/* backward: (p - onehot) * scale */
	crossentropy_backward(a, labels, 0.5f, R, V);
	for (int i = 0; i < R; i++) {
		double s = 0;
		for (int v = 0; v < V; v++)
			s += a[i * V + v];
		T_NEAR(s, 0, 1e-6);
		T_NEAR(a[i * V + labels[i]], 0.5 * (b[i * V + labels[i]] - 1), 1e-6);
	}
	free(a), free(b);
}

/* The positions BERT's collator would choose, and what it puts there. */
static void test_mlm_select(void)
{
	enum { B = 64, T = 32, V = 1000 };
	static int ids[B * T], orig[B * T], mask[B * T], qpos[B * T], labels[B * T];
	static uint8_t piece[V];
	for (int v = 500; v < V; v++)
		piece[v] = 1;               /* "##" tokens */
	mlm_tokens tk = {.cls = 2, .sep = 3, .pad = 0, .mask = 4, .V = V, .first_real = 5,
	                 .is_piece = piece};
	rng r;
	rng_seed(&r, 11);
	for (int b = 0; b < B; b++) {
		int n = 8 + b % 24;
		for (int i = 0; i < T; i++) {
			int k = b * T + i;
			mask[k] = i < n;
			ids[k] = i == 0 ? 2 : i == n - 1 ? 3 : i >= n ? 0 : 5 + (int)rng_below(&r, V - 5);
		}
	}
	memcpy(orig, ids, sizeof ids);
	int R = mlm_select(ids, mask, B, T, &tk, 0.15f, 0, &r, qpos, labels, B * T);
	int eligible = 0, nmask = 0, nkeep = 0, nrand = 0;
	for (int k = 0; k < B * T; k++)
		eligible += mask[k] && orig[k] != 2 && orig[k] != 3;
	T_ASSERT(R > 0);
	double share = (double)R / eligible;
	T_ASSERT(share > 0.12 && share < 0.18);
	for (int q = 0; q < R; q++) {
		int k = qpos[q];
		T_ASSERT(q == 0 || qpos[q] > qpos[q - 1]);
		T_ASSERT(mask[k] && orig[k] != 2 && orig[k] != 3 && orig[k] != 0);
		T_EQ_INT(labels[q], orig[k]);
		if (ids[k] == 4)
			nmask++;
		else if (ids[k] == orig[k])
			nkeep++;
		else {
			nrand++;
			T_ASSERT(ids[k] >= 5 && ids[k] < V);
		}
	}
	T_ASSERT(nmask > 0.74 * R && nmask < 0.86 * R);
	T_ASSERT(nrand > 0.05 * R && nrand < 0.15 * R);
	T_ASSERT(nkeep > 0.04 * R && nkeep < 0.16 * R);
	/* nothing but the selected positions changed */
	int changed = 0;
	for (int k = 0; k < B * T; k++)
		changed += ids[k] != orig[k];
	T_ASSERT(changed == nmask + nrand);
	/* whole words: a "##" piece is selected exactly when its word is */
	memcpy(ids, orig, sizeof ids);
	R = mlm_select(ids, mask, B, T, &tk, 0.15f, 1, &r, qpos, labels, B * T);
	static char sel[B * T];
	memset(sel, 0, sizeof sel);
	for (int q = 0; q < R; q++)
		sel[qpos[q]] = 1;
	int pieces = 0;
	for (int k = 1; k < B * T; k++)
		if (mask[k] && orig[k] >= 500 && k % T > 1 && orig[k - 1] >= 5) {
			pieces++;
			T_ASSERT(sel[k] == sel[k - 1]);
		}
	T_ASSERT(pieces > 100);
	/* probability 0: still one position, the first eligible */
	memcpy(ids, orig, sizeof ids);
	R = mlm_select(ids, mask, B, T, &tk, 0.0f, 0, &r, qpos, labels, B * T);
	T_EQ_INT(R, 1);
	T_EQ_INT(qpos[0], 1);
	T_EQ_INT(labels[0], orig[1]);
	/* a cap of maxR: the same draws, the first maxR positions, nothing else changed */
	static int ids2[B * T], qpos2[B * T], labels2[B * T];
	rng r1, r2;
	rng_seed(&r1, 5);
	rng_seed(&r2, 5);
	memcpy(ids, orig, sizeof ids);
	memcpy(ids2, orig, sizeof ids2);
	R = mlm_select(ids, mask, B, T, &tk, 0.5f, 0, &r1, qpos, labels, B * T);
	int R2 = mlm_select(ids2, mask, B, T, &tk, 0.5f, 0, &r2, qpos2, labels2, 40);
	T_ASSERT(R > 40);
	T_EQ_INT(R2, 40);
	for (int q = 0; q < R2; q++) {
		T_EQ_INT(qpos2[q], qpos[q]);
		T_EQ_INT(labels2[q], labels[q]);
	}
	changed = 0;
	for (int k = 0; k < B * T; k++)
		changed += ids2[k] != orig[k] && k > qpos2[R2 - 1];
	T_EQ_INT(changed, 0);
	/* the bound of gcsetrain's steps: twice the mean, at most every token */
	T_EQ_INT(train_loop_mlm_rows(128, 32, 0.15f), 1261);
	T_EQ_INT(train_loop_mlm_rows(1, 8, 0.15f), 8);
}

/* gcsetrain --loss mlm's step (train_loop_step, trainloop.h) is the engine
 * above: the same draws of mlm_select, train_forward_rows with the step's
 * dropout key, the mean cross-entropy, clipping, AdamW with decay on the
 * matrices and embeddings only (the MLM head's dense weight included, its
 * biases and LayerNorm not, the pooler not). Two steps, bit for bit. */
static void test_mlm_loop_is_engine(void)
{
	st_file *f = fixture("mlm.safetensors");
	bert_model *m1 = fixture_model(), *m2 = fixture_model();
	T_ASSERT(f && m1 && m2);
	int B = atoi(st_meta(f, "B")), T = atoi(st_meta(f, "T"));
	int *ids = fx_ints(f, "ids", NULL), *mask = fx_ints(f, "mask", NULL);
	T_ASSERT(ids && mask);
	int V = m1->cfg.vocab_size;
	for (int k = 0; k < B * T; k++)   /* the fixture's masked ids back to ordinary tokens */
		if (ids[k] == 4)
			ids[k] = 7;
	train_data d;
	T_ASSERT(train_data_from_rows(&d, 1, (size_t)B, ids, mask, T, NULL, err, sizeof err) == 0);
	static uint8_t piece[4096];
	T_ASSERT(V <= 4096);
	mlm_tokens tk = {.cls = 2, .sep = 3, .pad = 0, .mask = 4, .V = V, .first_real = 0,
	                 .is_piece = piece};
	train_loop_config c = {.loss = loss_config_default(LOSS_MLM), .clip = 1.0, .weight_decay = 0.01,
	                       .adamw = 1, .seed = 21, .max_batch = B, .max_len = T,
	                       .pad_id = 0, .head_seed = 9, .mlm_prob = 0.3f, .mlm_tk = tk};
	train_loop L;
	T_ASSERT(train_loop_init(&L, m1, &c, err, sizeof err) == 0);
	trainer *t2 = trainer_new_mlm(m2, B, T, L.maxR, 9, err, sizeof err);
	T_ASSERT(t2 && t2->nparams == L.t->nparams);
	T_ASSERT(!memcmp(t2->params, L.t->params, t2->nparams * sizeof(float)));
	mlm_ws w;
	T_ASSERT(mlm_ws_init(&w, L.maxR, t2->cfg.hidden_size, V) == 0);
	int nt = bert_num_tensors(&t2->cfg) + MLM_NTENSORS;
	fx_tensor *params = malloc((size_t)nt * sizeof *params);
	int *decay = malloc((size_t)nt * sizeof *decay);
	arena_tensors(t2, &t2->m->params, &t2->mlmh, params, decay);
	adam opt;
	T_ASSERT(adam_init(&opt, t2->nparams) == 0);
	opt.decoupled = 1;
	int64_t idx[64];
	T_ASSERT(B <= 64);
	for (int i = 0; i < B; i++)
		idx[i] = B - 1 - i;
	int *bid = malloc((size_t)B * T * sizeof *bid), *bmask = malloc((size_t)B * T * sizeof *bmask);
	int *qpos = malloc((size_t)L.maxR * sizeof *qpos), *labels = malloc((size_t)L.maxR * sizeof *labels);
	rng r1, r2;
	rng_seed(&r1, 3);
	rng_seed(&r2, 3);
	for (int s = 0; s < 2; s++) {
		train_step_stats st;
		T_EQ_INT(train_loop_step(&L, &d, idx, B, NULL, &r1, s, 1e-3, &st, err, sizeof err), 0);
		int Tb = train_batch_texts(&d, idx, B, 0, T, bid, bmask);
		int R = mlm_select(bid, bmask, B, Tb, &tk, 0.3f, 0, &r2, qpos, labels, L.maxR);
		T_EQ_INT(st.predicted, R);
		trainer_zero_grad(t2);
		T_ASSERT(train_forward_rows(t2, bid, bmask, B, Tb, 1, rng_derive(21, (uint64_t)s + 2), qpos, R,
		                            err, sizeof err) == 0);
		int correct = 0;
		double loss = train_mlm_loss(t2, &w, labels, 1.0f / R, 1, &correct);
		T_NEAR(st.loss, loss, 1e-6 * fabs(loss));
		T_NEAR(st.accuracy, (double)correct / R, 1e-6);
		double norm = grad_clip_norm(t2->grads, t2->nparams, 1.0);
		T_ASSERT(st.norm == norm);
		adam_begin_step(&opt);
		for (int i = 0; i < nt; i++) {
			size_t lo = (size_t)(params[i].data - t2->params);
			adam_update_range(&opt, t2->params, t2->grads, 1e-3, lo, lo + params[i].numel,
			                  decay[i] ? 0.01 : 0);
		}
	}
	/* the MLP head (not trained by masked-LM) sits between: same bits too */
	T_ASSERT(!memcmp(t2->params, L.t->params, t2->nparams * sizeof(float)));
	free(bid), free(bmask), free(qpos), free(labels), free(params), free(decay), free(ids), free(mask);
	adam_free(&opt);
	mlm_ws_free(&w);
	trainer_free(t2);
	train_loop_free(&L);
	train_data_free(&d);
	model_free(m1), model_free(m2);
	st_close(f);
}

int main(void)
{
	T_RUN(test_mlm_parity);
	T_RUN(test_mlm_save_names);
	T_RUN(test_crossentropy);
	T_RUN(test_mlm_select);
	T_RUN(test_mlm_loop_is_engine);
	return t_done();
}
