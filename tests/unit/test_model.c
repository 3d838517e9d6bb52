/* test_model.c — config.json, the parameter arena, Hugging Face directories
 * in and out (name variants, dtypes, sentence-transformers pooling) and
 * every load error. Uses the committed tiny models in tests/data/models. */
#include "t.h"
#include "nn/model.h"
#include "nn/safetensors.h"

#include <dirent.h>
#include <omp.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmp[256];
static char err[512];

static const char *root(void)
{
	const char *r = getenv("GCSE_ROOT");
	return r && *r ? r : ".";
}

static const char *model_dir(const char *name)
{
	static char p[4][512];
	static int k;
	k = (k + 1) % 4;
	snprintf(p[k], sizeof p[k], "%s/tests/data/models/%s", root(), name);
	return p[k];
}

static void rm_rf(const char *path)
{
	struct stat st;
	if (lstat(path, &st) != 0)
		return;
	if (S_ISDIR(st.st_mode)) {
		DIR *d = opendir(path);
		struct dirent *e;
		char p[1024];
		while (d && (e = readdir(d)))
			if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
				snprintf(p, sizeof p, "%s/%s", path, e->d_name);
				rm_rf(p);
			}
		if (d)
			closedir(d);
		rmdir(path);
	} else
		unlink(path);
}

/* A fresh empty directory under tmp. */
static const char *fresh(const char *name)
{
	static char p[512];
	snprintf(p, sizeof p, "%s/%s", tmp, name);
	rm_rf(p);
	mkdir(p, 0777);
	return p;
}

static void write_text(const char *dir, const char *file, const char *text)
{
	char p[1024];
	snprintf(p, sizeof p, "%s/%s", dir, file);
	FILE *f = fopen(p, "w");
	fputs(text, f);
	fclose(f);
}

/* Write dir/model.safetensors from m's tensors, renamed/dropped by fn. */
typedef const char *(*rename_fn)(const char *name, char *buf, size_t n);
static int write_tensors(const bert_model *m, const char *dir, rename_fn fn)
{
	int nt = bert_num_tensors(&m->cfg);
	bert_tensor *ts = malloc(nt * sizeof *ts);
	st_out *o = malloc((nt + 1) * sizeof *o);
	char (*names)[128] = malloc((nt + 1) * sizeof *names);
	bert_tensors(&m->cfg, &m->params, ts);
	int n = 0;
	for (int k = 0; k < nt; k++) {
		if (ts[k].pooler && !m->has_pooler)
			continue;
		const char *nm = fn ? fn(ts[k].name, names[n], sizeof names[n]) : ts[k].name;
		if (!nm)
			continue;
		if (nm != names[n])
			snprintf(names[n], sizeof names[n], "%s", nm);
		o[n] = (st_out){names[n], ST_F32, ts[k].ndim, ts[k].shape, ts[k].data};
		n++;
	}
	char p[1024];
	snprintf(p, sizeof p, "%s/model.safetensors", dir);
	int ok = st_write(p, o, n, NULL, err, sizeof err) == 0;
	free(ts), free(o), free(names);
	return ok;
}

static void test_config(void)
{
	bert_config c, d;
	const char *j = "{\"hidden_size\": 36, \"num_attention_heads\": 3, \"num_hidden_layers\": 2,"
	                " \"intermediate_size\": 64, \"vocab_size\": 100, \"max_position_embeddings\": 24,"
	                " \"type_vocab_size\": 2, \"layer_norm_eps\": 1e-12, \"hidden_act\": \"gelu\","
	                " \"unknown_key\": [1, 2], \"pad_token_id\": null}";
	T_ASSERT(bert_config_parse(&c, j, strlen(j), err, sizeof err) == 0);
	T_EQ_INT(c.hidden_size, 36);
	T_EQ_INT(c.pad_token_id, -1);
	T_NEAR(c.layer_norm_eps, 1e-12, 1e-18);
	T_NEAR(c.hidden_dropout_prob, 0.1, 1e-7);       /* default */
	/* defaults are bert-base */
	T_ASSERT(bert_config_parse(&c, "{}", 2, err, sizeof err) == 0);
	T_EQ_INT(c.hidden_size, 768);
	T_EQ_INT(c.vocab_size, 30522);
	/* text out, text in: the same config */
	c.hidden_size = 48, c.num_attention_heads = 6, c.layer_norm_eps = 1e-6f, c.pad_token_id = 3;
	char *s = bert_config_json(&c);
	T_ASSERT(bert_config_parse(&d, s, strlen(s), err, sizeof err) == 0);
	T_ASSERT(!memcmp(&c, &d, sizeof c));
	T_ASSERT(strstr(s, "\"layer_norm_eps\": 1e-06") && strstr(s, "\"model_type\": \"bert\""));
	free(s);
	c.pad_token_id = -1;
	s = bert_config_json(&c);
	T_ASSERT(strstr(s, "\"pad_token_id\": null"));
	T_ASSERT(bert_config_parse(&d, s, strlen(s), err, sizeof err) == 0 && d.pad_token_id == -1);
	free(s);

	struct { const char *json, *want; } bad[] = {
		{"[]", "not a JSON object"},
		{"{", "not valid JSON"},
		{"{\"hidden_act\": \"gelu_new\"}", "hidden_act \"gelu_new\" not supported"},
		{"{\"hidden_act\": \"relu\"}", "not supported"},
		{"{\"hidden_act\": 3}", "hidden_act must be a string"},
		{"{\"position_embedding_type\": \"relative_key\"}", "position_embedding_type"},
		{"{\"model_type\": \"roberta\"}", "model_type \"roberta\""},
		{"{\"hidden_size\": 100, \"num_attention_heads\": 12}", "not a multiple"},
		{"{\"hidden_size\": 0}", "hidden_size"},
		{"{\"hidden_size\": 64.5}", "hidden_size"},
		{"{\"hidden_size\": \"64\"}", "hidden_size"},
		{"{\"num_hidden_layers\": -1}", "num_hidden_layers"},
		{"{\"vocab_size\": 1e12}", "vocab_size"},
		{"{\"layer_norm_eps\": 0}", "layer_norm_eps"},
		{"{\"layer_norm_eps\": \"x\"}", "layer_norm_eps"},
		{"{\"hidden_dropout_prob\": 1.5}", "dropout"},
		{"{\"pad_token_id\": 40000}", "pad_token_id"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		err[0] = 0;
		if (bert_config_parse(&c, bad[i].json, strlen(bad[i].json), err, sizeof err) == 0 ||
		    !strstr(err, bad[i].want))
			T_FAIL("%s: got \"%s\", want \"%s\"", bad[i].json, err, bad[i].want);
	}
	/* hidden_act "gelu_python" is the same exact GELU */
	T_ASSERT(bert_config_parse(&c, "{\"hidden_act\": \"gelu_python\"}", 29, err, sizeof err) == 0);
}

static void test_arena_layout(void)
{
	bert_config c;
	bert_config_defaults(&c);
	c.vocab_size = 50, c.hidden_size = 12, c.num_attention_heads = 3, c.num_hidden_layers = 2;
	c.intermediate_size = 20, c.max_position_embeddings = 9;
	size_t n = model_num_params(&c);
	int nt = bert_num_tensors(&c);
	T_EQ_INT(nt, 5 + 16 * 2 + 2);
	float *arena = calloc(n, sizeof *arena);
	bert_params p;
	bert_params_point(&p, arena, &c);
	bert_tensor *ts = malloc(nt * sizeof *ts);
	T_EQ_INT(bert_tensors(&c, &p, ts), nt);
	size_t total = 0;
	for (int k = 0; k < nt; k++) {
		total += ts[k].numel;
		T_ASSERT(ts[k].data >= arena && ts[k].data + ts[k].numel <= arena + n);
		for (int j = 0; j < k; j++)      /* no two tensors share memory */
			T_ASSERT(ts[j].data + ts[j].numel <= ts[k].data || ts[k].data + ts[k].numel <= ts[j].data);
	}
	T_EQ_INT(total, n);
	T_EQ_STR(ts[0].name, "embeddings.word_embeddings.weight");
	T_EQ_STR(ts[6].name, "encoder.layer.0.attention.self.query.bias");
	T_ASSERT(ts[5].data == p.qkvw && ts[7].data == p.qkvw + 12 * 12);   /* Q then K rows */
	T_EQ_STR(ts[nt - 1].name, "pooler.dense.bias");
	T_ASSERT(p.wte == arena && p.poolb + 12 == arena + n);
	free(ts);
	free(arena);
}

static void test_init_random(void)
{
	bert_config c;
	bert_config_defaults(&c);
	c.vocab_size = 300, c.hidden_size = 64, c.num_attention_heads = 4, c.num_hidden_layers = 2;
	c.intermediate_size = 128, c.max_position_embeddings = 32, c.pad_token_id = 5;
	omp_set_num_threads(1);
	bert_model *a = model_init_random(&c, 42, err, sizeof err);
	omp_set_num_threads(2);
	bert_model *b = model_init_random(&c, 42, err, sizeof err);
	bert_model *d = model_init_random(&c, 43, err, sizeof err);
	T_ASSERT(a && b && d);
	T_ASSERT(!memcmp(a->arena, b->arena, a->num_params * sizeof(float)));     /* threads */
	T_ASSERT(memcmp(a->arena, d->arena, a->num_params * sizeof(float)));      /* seed */
	T_ASSERT(a->has_pooler);
	double s = 0, ss = 0;
	size_t n = (size_t)c.num_hidden_layers * c.intermediate_size * c.hidden_size;
	for (size_t i = 0; i < n; i++) {
		s += a->params.fcw[i];
		ss += (double)a->params.fcw[i] * a->params.fcw[i];
	}
	T_NEAR(s / n, 0.0, 0.001);
	T_NEAR(sqrt(ss / n), 0.02, 0.0005);
	for (int i = 0; i < c.hidden_size; i++) {
		T_ASSERT(a->params.ln1w[i] == 1.0f && a->params.ln1b[i] == 0.0f && a->params.fcb[i] == 0.0f);
		T_ASSERT(a->params.wte[5 * c.hidden_size + i] == 0.0f);           /* padding row */
		T_ASSERT(a->params.emb_lnw[i] == 1.0f && a->params.qkvb[i] == 0.0f);
	}
	T_ASSERT(a->params.wte[6 * c.hidden_size] != 0.0f && a->params.poolw[0] != 0.0f);
	model_free(a), model_free(b), model_free(d);
}

static void test_load_fixtures(void)
{
	struct { const char *name; int pooler, pooling, normalize, C, L; } want[] = {
		{"tiny-cls", 0, BERT_POOL_CLS, 0, 36, 2},
		{"tiny-legacy", 1, BERT_POOL_CLS, 0, 32, 1},
		{"tiny-bf16", 1, BERT_POOL_CLS, 0, 40, 3},
		{"tiny-f16", 0, BERT_POOL_CLS, 0, 20, 2},
		{"tiny-st", 0, BERT_POOL_MEAN, 1, 64, 2},
	};
	for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
		bert_model *m = model_load(model_dir(want[i].name), err, sizeof err);
		if (!m)
			T_FAIL("%s: %s", want[i].name, err);
		T_EQ_INT(m->has_pooler, want[i].pooler);
		T_EQ_INT(m->pooling, want[i].pooling);
		T_EQ_INT(m->normalize, want[i].normalize);
		T_EQ_INT(m->cfg.hidden_size, want[i].C);
		T_EQ_INT(m->cfg.num_hidden_layers, want[i].L);
		if (!m->has_pooler)
			for (int k = 0; k < m->cfg.hidden_size; k++)
				T_ASSERT(m->params.poolb[k] == 0.0f);
		model_free(m);
	}
}

/* The F16/BF16 files hold exactly the values the loader produces: saving
 * F32 and loading again gives the same arena; the legacy file's names come
 * back standard. */
static void test_save_roundtrip(void)
{
	const char *names[] = {"tiny-legacy", "tiny-bf16", "tiny-f16", "tiny-st"};
	for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
		bert_model *m = model_load(model_dir(names[i]), err, sizeof err);
		T_ASSERT(m);
		const char *d = fresh("saved");
		char sub[600];
		snprintf(sub, sizeof sub, "%s/model", d);       /* created by model_save */
		if (model_save(m, sub, err, sizeof err))
			T_FAIL("%s: save: %s", names[i], err);
		bert_model *r = model_load(sub, err, sizeof err);
		if (!r)
			T_FAIL("%s: reload: %s", names[i], err);
		T_ASSERT(r->num_params == m->num_params);
		T_ASSERT(!memcmp(r->arena, m->arena, m->num_params * sizeof(float)));
		T_ASSERT(!memcmp(&r->cfg, &m->cfg, sizeof r->cfg));
		T_EQ_INT(r->has_pooler, m->has_pooler);
		T_EQ_INT(r->pooling, BERT_POOL_CLS);    /* no sentence-transformers files written */
		char p[700];
		snprintf(p, sizeof p, "%s/model.safetensors", sub);
		st_file *f = st_open(p, err, sizeof err);
		T_ASSERT(f);
		T_ASSERT(st_find(f, "embeddings.LayerNorm.weight") && !st_find(f, "bert.embeddings.LayerNorm.gamma"));
		T_ASSERT(!st_find(f, "cls.predictions.bias"));
		T_EQ_INT(f->ntensors, bert_num_tensors(&m->cfg) - (m->has_pooler ? 0 : 2));
		T_ASSERT(st_find(f, "encoder.layer.0.attention.self.value.weight")->dtype == ST_F32);
		st_close(f);
		model_free(r);
		model_free(m);
	}
}

static const char *drop_key_bias(const char *nm, char *b, size_t n)
{
	return strcmp(nm, "encoder.layer.1.attention.self.key.bias") ? nm : NULL;
}
static const char *drop_pooler_bias(const char *nm, char *b, size_t n)
{
	return strcmp(nm, "pooler.dense.bias") ? nm : NULL;
}
static const char *drop_pooler(const char *nm, char *b, size_t n)
{
	return strncmp(nm, "pooler.", 7) ? nm : NULL;
}
static const char *prefix_some(const char *nm, char *b, size_t n)
{
	if (!strncmp(nm, "encoder.layer.0.", 16))
		return nm;
	snprintf(b, n, "bert.%s", nm);
	return b;
}

static void test_load_errors(void)
{
	bert_model *m = model_load(model_dir("tiny-cls"), err, sizeof err);
	T_ASSERT(m);
	m->has_pooler = 1;                      /* save a pooler of zeros */
	char cfg[2048];
	char *cj = bert_config_json(&m->cfg);
	snprintf(cfg, sizeof cfg, "%s", cj);
	free(cj);

	const char *d = fresh("e1");
	T_ASSERT(!model_load(d, err, sizeof err) && strstr(err, "no config.json"));
	write_text(d, "config.json", cfg);
	T_ASSERT(!model_load(d, err, sizeof err) && strstr(err, "no model.safetensors"));
	write_text(d, "pytorch_model.bin", "x");
	T_ASSERT(!model_load(d, err, sizeof err) && strstr(err, "pytorch_model.bin is not read"));

	/* mixed prefixes load; a missing tensor is named */
	T_ASSERT(write_tensors(m, d, prefix_some));
	bert_model *r = model_load(d, err, sizeof err);
	T_ASSERT(r && !memcmp(r->arena, m->arena, m->num_params * sizeof(float)) && r->has_pooler);
	model_free(r);
	T_ASSERT(write_tensors(m, d, drop_key_bias));
	T_ASSERT(!model_load(d, err, sizeof err) && strstr(err, "missing tensor encoder.layer.1.attention.self.key.bias"));
	T_ASSERT(write_tensors(m, d, drop_pooler_bias));
	T_ASSERT(!model_load(d, err, sizeof err) && strstr(err, "only one of weight and bias"));
	T_ASSERT(write_tensors(m, d, drop_pooler));
	r = model_load(d, err, sizeof err);
	T_ASSERT(r && !r->has_pooler);
	model_free(r);

	/* the same tensor twice, with and without prefix */
	{
		float x[36] = {0};
		int64_t s[1] = {36};
		char p[700];
		snprintf(p, sizeof p, "%s/model.safetensors", d);
		st_out o[2] = {{"embeddings.LayerNorm.bias", ST_F32, 1, s, x}, {"bert.embeddings.LayerNorm.bias", ST_F32, 1, s, x}};
		T_ASSERT(st_write(p, o, 2, NULL, err, sizeof err) == 0);
		T_ASSERT(!model_load(d, err, sizeof err) && strstr(err, "given twice"));
		/* wrong shape */
		int64_t s2[1] = {35};
		st_out o2[1] = {{"embeddings.LayerNorm.bias", ST_F32, 1, s2, x}};
		T_ASSERT(st_write(p, o2, 1, NULL, err, sizeof err) == 0);
		T_ASSERT(!model_load(d, err, sizeof err) && strstr(err, "has shape [35], config.json implies [36]"));
		/* integer dtype for a weight */
		int64_t iv[36] = {0};
		st_out o3[1] = {{"embeddings.LayerNorm.bias", ST_I64, 1, s, iv}};
		T_ASSERT(st_write(p, o3, 1, NULL, err, sizeof err) == 0);
		T_ASSERT(!model_load(d, err, sizeof err) && strstr(err, "not a float type"));
		/* a broken safetensors file */
		write_text(d, "model.safetensors", "garbage!");
		T_ASSERT(!model_load(d, err, sizeof err) && strstr(err, "model.safetensors: "));
	}
	/* config and tensors disagree */
	T_ASSERT(write_tensors(m, d, NULL));
	char *big = strstr(cfg, "\"intermediate_size\": 64");
	T_ASSERT(big);
	memcpy(big, "\"intermediate_size\": 65", 23);
	write_text(d, "config.json", cfg);
	T_ASSERT(!model_load(d, err, sizeof err) && strstr(err, "intermediate.dense.weight has shape [64, 36], config.json implies [65, 36]"));
	write_text(d, "config.json", "{\"hidden_act\": \"gelu_new\"}");
	T_ASSERT(!model_load(d, err, sizeof err) && strstr(err, "config.json: hidden_act \"gelu_new\" not supported"));
	model_free(m);
}

static void test_sentence_transformers(void)
{
	int pooling, normalize;
	const char *d = fresh("st");
	T_ASSERT(model_read_pooling(d, &pooling, &normalize, err, sizeof err) == 0);
	T_ASSERT(pooling == BERT_POOL_CLS && normalize == 0);
	for (int p = 0; p < 4; p++)
		for (int n = 0; n < 2; n++) {
			if (p == BERT_POOL_POOLER) {
				T_ASSERT(model_save_pooling(d, p, n, 8, err, sizeof err));
				continue;
			}
			T_ASSERT(model_save_pooling(fresh("st"), p, n, 8, err, sizeof err) == 0);
			T_ASSERT(model_read_pooling(d, &pooling, &normalize, err, sizeof err) == 0);
			T_EQ_INT(pooling, p);
			T_EQ_INT(normalize, n);
		}
	/* 1_Pooling alone, without modules.json */
	d = fresh("st");
	char sub[600];
	snprintf(sub, sizeof sub, "%s/1_Pooling", d);
	mkdir(sub, 0777);
	write_text(sub, "config.json", "{\"pooling_mode_max_tokens\": true}");
	T_ASSERT(model_read_pooling(d, &pooling, &normalize, err, sizeof err) == 0 && pooling == BERT_POOL_MAX);
	write_text(sub, "config.json", "{\"pooling_mode_max_tokens\": true, \"pooling_mode_mean_tokens\": true}");
	T_ASSERT(model_read_pooling(d, &pooling, &normalize, err, sizeof err) == 0 && pooling == -1);
	T_ASSERT(strstr(err, "several pooling modes"));
	write_text(sub, "config.json", "{\"pooling_mode_weightedmean_tokens\": true}");
	T_ASSERT(model_read_pooling(d, &pooling, &normalize, err, sizeof err) == 0 && pooling == -1);
	T_ASSERT(strstr(err, "weightedmean"));
	write_text(sub, "config.json", "{\"pooling_mode_cls_token\": tru");
	T_ASSERT(model_read_pooling(d, &pooling, &normalize, err, sizeof err) && strstr(err, "not valid JSON"));
	/* a module we do not run makes the default unusable, with a reason */
	write_text(sub, "config.json", "{\"pooling_mode_cls_token\": true}");
	write_text(d, "modules.json", "[{\"path\": \"\", \"type\": \"sentence_transformers.models.Transformer\"},"
	                              "{\"path\": \"1_Pooling\", \"type\": \"sentence_transformers.models.Pooling\"},"
	                              "{\"path\": \"2_Dense\", \"type\": \"sentence_transformers.models.Dense\"}]");
	T_ASSERT(model_read_pooling(d, &pooling, &normalize, err, sizeof err) == 0 && pooling == -1);
	T_ASSERT(strstr(err, "Dense not supported"));
	write_text(d, "modules.json", "[1, 2]");
	T_ASSERT(model_read_pooling(d, &pooling, &normalize, err, sizeof err) && strstr(err, "modules.json"));
	write_text(d, "modules.json", "{}");
	T_ASSERT(model_read_pooling(d, &pooling, &normalize, err, sizeof err) && strstr(err, "not an array"));
	/* a Transformer module in a sub-folder is where the model is */
	bert_model *m = model_load(model_dir("tiny-f16"), err, sizeof err);
	d = fresh("st");
	snprintf(sub, sizeof sub, "%s/0_Transformer", d);
	T_ASSERT(model_save(m, sub, err, sizeof err) == 0);
	write_text(d, "modules.json", "[{\"path\": \"0_Transformer\", \"type\": \"sentence_transformers.models.Transformer\"}]");
	bert_model *r = model_load(d, err, sizeof err);
	T_ASSERT(r && !memcmp(r->arena, m->arena, m->num_params * sizeof(float)));
	model_free(r);
	model_free(m);
	T_ASSERT(bert_pooling_parse("mean") == BERT_POOL_MEAN && bert_pooling_parse("avg") == -1);
	T_EQ_STR(bert_pooling_name(BERT_POOL_POOLER), "pooler");
}

int main(void)
{
	snprintf(tmp, sizeof tmp, "/tmp/test_model.XXXXXX");
	if (!mkdtemp(tmp))
		return 2;
	T_RUN(test_config);
	T_RUN(test_arena_layout);
	T_RUN(test_init_random);
	T_RUN(test_load_fixtures);
	T_RUN(test_save_roundtrip);
	T_RUN(test_load_errors);
	T_RUN(test_sentence_transformers);
	rm_rf(tmp);
	return t_done();
}
