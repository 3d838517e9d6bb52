/* test_tokenizer.c — BERT WordPiece tokenizer: conformance with the reference
 * ids on ../shared, and every rule on a small vocabulary, cased and uncased. */
#include "t.h"
#include "nn/tokenizer.h"
#include <jv.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

/* The small vocabulary of most tests (index = id). */
static const char *const V[] = {
	"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]",          /* 0-4 */
	"hello", "world", ",", "!", "play",                     /* 5-9 */
	"##ing", "##in", "##g", "una", "un",                    /* 10-14 */
	"##aff", "##able", "cafe", "\u4e2d", "\u6587",          /* 15-19: 中 文 */
	"##\u6587", "a", "##a", "[", "]",                       /* 20-24 */
	"sep", "\u03bf\u03b4\u03bf\u03c2", "\u03bf\u03b4\u03bf\u03c3", "i", "$", /* 25-29: οδος οδοσ */
	"\u00bf", "\u2014", "\u00ab", "\u300d", "\u203f",       /* 30-34: ¿ — « 」 ‿ */
	"5", "##\u20ac", "\u20ac", "\u00fc", "##\u00fc",        /* 35-39: € ü */
	"Hello", "World", "Caf\u00e9", "##e", "e",              /* 40-44 */
	"i\u0307", "Cafe", "caf\u00e9", "##",                   /* 45-48 */
	"a\U0001D165\U0001D16D",                                /* 49: two Mc of classes 216, 226 */
};
#define NV ((int)(sizeof V / sizeof V[0]))

static tokenizer *small(int lowercase)
{
	char err[256] = "";
	tokenizer *t = tokenizer_from_tokens(V, NV, lowercase, err, sizeof err);
	if (!t)
		printf("#   tokenizer_from_tokens: %s\n", err);
	return t;
}

/* Compare the ids of text (len bytes, -1: strlen) with the expected list. */
static int check_ids(const tokenizer *t, const char *text, long len, const int *want, int nwant, int line)
{
	int *ids = NULL, n = tokenizer_tokenize(t, text, len < 0 ? strlen(text) : (size_t)len, &ids), ok = n == nwant;
	for (int i = 0; ok && i < n; i++)
		ok = ids[i] == want[i];
	if (!ok) {
		printf("#   line %d: text \"%s\": got", line, text);
		for (int i = 0; i < n; i++)
			printf(" %d", ids[i]);
		printf(", want");
		for (int i = 0; i < nwant; i++)
			printf(" %d", want[i]);
		printf("\n");
	}
	free(ids);
	return ok;
}
#define IDS(...) ((const int[]){__VA_ARGS__}), (int)(sizeof((const int[]){__VA_ARGS__}) / sizeof(int))
#define T_IDS(t, text, ...) do { if (!check_ids((t), (text), -1, IDS(__VA_ARGS__), __LINE__)) \
	T_FAIL("token ids differ"); } while (0)
#define T_IDS_LEN(t, text, len, ...) do { if (!check_ids((t), (text), (len), IDS(__VA_ARGS__), __LINE__)) \
	T_FAIL("token ids differ"); } while (0)
#define T_NONE(t, text) do { int *t_ids; int t_n = tokenizer_tokenize((t), (text), strlen(text), &t_ids); \
	free(t_ids); if (t_n != 0) T_FAIL("\"%s\": %d ids, expected none", (text), t_n); } while (0)

/* ---- a scratch directory for file fixtures ---- */

static char tmpdir[256];

static const char *path_in(const char *sub, const char *name)
{
	static char p[4][512];
	static int k;
	k = (k + 1) % 4;
	snprintf(p[k], sizeof p[k], "%s/%s%s%s", tmpdir, sub, *sub ? "/" : "", name);
	return p[k];
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "wb");
	if (!f) {
		perror(path);
		exit(2);
	}
	fputs(text, f);
	fclose(f);
}

/* A model directory sub/ holding the small vocabulary as vocab.txt and,
 * if config is not NULL, that tokenizer_config.json. */
static const char *vocab_dir(const char *sub, const char *config)
{
	char d[512];
	FILE *f;
	snprintf(d, sizeof d, "%s/%s", tmpdir, sub);
	mkdir(d, 0700);
	f = fopen(path_in(sub, "vocab.txt"), "w");
	for (int i = 0; i < NV; i++)
		fprintf(f, "%s\n", V[i]);
	fclose(f);
	if (config)
		write_file(path_in(sub, "tokenizer_config.json"), config);
	return path_in(sub, "");
}

/* ---- conformance with the reference on ../shared ---- */

static void test_conformance_bert_uncased(void)
{
	char vpath[1024], cpath[1024], err[256];
	FILE *f;
	tokenizer *t;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int cases = 0, lineno = 0;
	snprintf(vpath, sizeof vpath, "%s/vocab/bert-base-uncased.txt", t_shared());
	snprintf(cpath, sizeof cpath, "%s/tokenizer/bert-uncased-cases.ndjson", t_shared());
	if (access(vpath, R_OK) || access(cpath, R_OK))
		T_SKIP("no ../shared/data/vocab/bert-base-uncased.txt or tokenizer/bert-uncased-cases.ndjson");
	t = tokenizer_load_vocab(vpath, 1, err, sizeof err);
	if (!t)
		T_FAIL("load: %s", err);
	T_EQ_INT(tokenizer_vocab_size(t), 30522);
	T_EQ_INT(tokenizer_cls_id(t), 101);
	T_EQ_INT(tokenizer_sep_id(t), 102);
	T_EQ_INT(tokenizer_pad_id(t), 0);
	T_EQ_INT(tokenizer_unk_id(t), 100);
	T_EQ_INT(tokenizer_mask_id(t), 103);
	f = fopen(cpath, "r");
	T_ASSERT(f);
	while ((n = getline(&line, &cap, f)) > 0) {
		jv rec = jv_parse_sized(line, (int)n), text, want;
		int *ids = NULL, m, ok, enc[600], ne, tr;
		lineno++;
		if (jv_get_kind(rec) != JV_KIND_OBJECT) {
			jv_free(rec);
			T_FAIL("%s:%d: not a JSON object", cpath, lineno);
		}
		text = jv_object_get(jv_copy(rec), jv_string("text"));
		want = jv_object_get(rec, jv_string("ids"));
		T_ASSERT(jv_get_kind(text) == JV_KIND_STRING && jv_get_kind(want) == JV_KIND_ARRAY);
		m = tokenizer_tokenize(t, jv_string_value(text), (size_t)jv_string_length_bytes(jv_copy(text)), &ids);
		ok = m == jv_array_length(jv_copy(want));
		for (int i = 0; ok && i < m; i++) {
			jv x = jv_array_get(jv_copy(want), i);
			ok = jv_number_value(x) == ids[i];
			jv_free(x);
		}
		/* encode = [CLS] + the same ids + [SEP] */
		ne = tokenizer_encode(t, jv_string_value(text), (size_t)jv_string_length_bytes(jv_copy(text)),
				      enc, 600, &tr);
		ok = ok && ne == m + 2 && enc[0] == 101 && enc[m + 1] == 102 && !tr &&
		     (m == 0 || !memcmp(enc + 1, ids, (size_t)m * sizeof(int)));
		if (!ok)
			printf("#   %s:%d: ids differ for %s\n", cpath, lineno, jv_string_value(text));
		free(ids);
		jv_free(text);
		jv_free(want);
		if (!ok)
			T_FAIL("conformance case %d", lineno);
		cases++;
	}
	free(line);
	fclose(f);
	tokenizer_free(t);
	T_EQ_INT(cases, 47);
}

/* ---- rules, on the small vocabulary ---- */

static void test_basic_and_punctuation(void)
{
	tokenizer *t = small(1);
	T_ASSERT(t);
	T_IDS(t, "Hello, World!", 5, 7, 6, 8);
	T_IDS(t, "  hello   world  ", 5, 6);
	T_IDS(t, "hello xyz world", 5, 1, 6);                 /* no match: [UNK] */
	T_IDS(t, "$5", 29, 35);                               /* ASCII symbol ranges */
	T_IDS(t, "\u00bfhello", 30, 5);                       /* Po */
	T_IDS(t, "hello\u2014world", 5, 31, 6);               /* Pd */
	T_IDS(t, "\u00abhello\u300d", 32, 5, 33);             /* Pi, Pe */
	T_IDS(t, "a\u203fa", 21, 34, 21);                     /* Pc */
	T_IDS(t, "5\u20ac", 35, 36);                          /* Sc outside ASCII: not split */
	T_IDS(t, "##", 1, 1);                                 /* '#' is punctuation, not in vocab */
	T_NONE(t, "");
	T_NONE(t, " \t\n\r ");
	tokenizer_free(t);
}

static void test_wordpiece_greedy(void)
{
	tokenizer *t = small(1);
	T_ASSERT(t);
	T_IDS(t, "playing", 9, 10);               /* longest first: ##ing, not ##in ##g */
	T_IDS(t, "unaffable", 1);                 /* greedy "una" leaves "ffable": no backtracking */
	T_IDS(t, "played", 1);                    /* a word that cannot be covered is one [UNK] */
	T_IDS(t, "hello playing", 5, 9, 10);
	tokenizer_free(t);
}

static void count_word(const char *w, size_t len, size_t off, void *ctx)
{
	(void)w, (void)len, (void)off;
	(*(int *)ctx)++;
}

static void test_word_length_limit(void)
{
	tokenizer *u = small(1), *c = small(0);
	char a[110 * 2 + 1];
	int *ids, n;
	T_ASSERT(u && c);
	memset(a, 'a', 100);
	a[100] = 0;
	n = tokenizer_tokenize(u, a, 100, &ids);       /* 100 characters: a ##a x 99 */
	T_EQ_INT(n, 100);
	T_EQ_INT(ids[0], 21);
	T_EQ_INT(ids[99], 22);
	free(ids);
	a[100] = 'a';
	a[101] = 0;
	T_IDS(u, a, 1);                                 /* 101 characters: [UNK] */
	/* The limit counts code points, not bytes: 100 x "ü" (200 bytes) is fine. */
	for (int i = 0; i < 101; i++)
		memcpy(a + 2 * i, "\u00fc", 2);
	n = tokenizer_tokenize(c, a, 200, &ids);
	T_EQ_INT(n, 100);
	T_EQ_INT(ids[0], 38);
	T_EQ_INT(ids[99], 39);
	free(ids);
	T_IDS_LEN(c, a, 202, 1);
	/* Punctuation splits first, so a long run of short words is no [UNK]. */
	for (int i = 0; i < 55; i++)
		memcpy(a + 2 * i, "a,", 2);
	a[110] = 0;
	n = tokenizer_tokenize(u, a, 110, &ids);
	T_EQ_INT(n, 110);
	free(ids);
	/* A long non-ASCII word (scratch buffers grow past their stack size). */
	{
		char b[300 * 3 + 1];
		int cnt = 0;
		for (int i = 0; i < 300; i++)
			memcpy(b + 3 * i, "\u00e9,", 3);
		n = tokenizer_tokenize(u, b, 900, &ids);
		T_EQ_INT(n, 600);
		T_ASSERT(ids[0] == 44 && ids[1] == 7 && ids[598] == 44 && ids[599] == 7);
		free(ids);
		T_EQ_INT(tokenizer_words(u, b, 900, count_word, &cnt), 600);
		T_EQ_INT(cnt, 600);
	}
	tokenizer_free(u);
	tokenizer_free(c);
}

static void test_accents(void)
{
	tokenizer *u = small(1), *c = small(0);
	T_ASSERT(u && c);
	T_EQ_INT(tokenizer_lowercase(u), 1);
	T_EQ_INT(tokenizer_lowercase(c), 0);
	T_EQ_INT(tokenizer_strip_accents(u), 1);    /* follows lowercase */
	T_EQ_INT(tokenizer_strip_accents(c), 0);
	T_IDS(u, "Caf\u00e9", 17);                  /* lowercase, NFD, drop Mn */
	T_IDS(u, "CAFE\u0301", 17);                 /* already decomposed */
	T_IDS(u, "\u00fc", 1);                      /* u: not in the vocabulary */
	T_IDS(c, "\u00fc", 38);
	T_NONE(u, "\u0301\u0308");                  /* only marks: nothing left */
	T_IDS(c, "\u0301", 1);
	T_IDS(c, "Caf\u00e9", 42);                  /* cased: accents kept */
	T_IDS(c, "Cafe\u0301", 1);                  /* and no NFC: "Cafe" + mark is no token */
	T_IDS(c, "HELLO", 1);
	T_IDS(c, "Hello, World!", 40, 7, 41, 8);
	/* NFD orders marks by combining class; a class-0 mark (U+0902, Mn) is a
	 * barrier that is dropped only afterwards. */
	T_IDS(u, "A\U0001D16D\U0001D165", 49);
	T_IDS(u, "A\U0001D16D\u0902\U0001D165", 1);
	T_IDS(c, "a\U0001D16D\U0001D165", 1);
	tokenizer_free(u);
	tokenizer_free(c);
}

static void test_python_lowercase(void)
{
	tokenizer *u = small(1);
	T_ASSERT(u);
	/* U+0130 lowercases to "i" + U+0307, whose mark is then stripped. */
	T_IDS(u, "\u0130", 28);
	/* Final sigma: capital sigma after a cased letter, not before one. */
	T_IDS(u, "\u039f\u0394\u039f\u03a3", 26);         /* ΟΔΟΣ -> οδος */
	T_IDS(u, "\u039f\u0394\u039f\u03a3.", 26, 1);     /* '.' is case-ignorable */
	T_IDS(u, "\u03bf\u03b4\u03bf\u03c3", 27);         /* a small sigma stays */
	T_IDS(u, "\u03a3", 1);                            /* alone: σ, not in vocab */
	tokenizer_free(u);
}

static void test_cjk(void)
{
	tokenizer *u = small(1), *n;
	char err[256];
	T_ASSERT(u);
	T_IDS(u, "\u4e2d\u6587", 18, 19);                 /* each ideograph a word */
	T_IDS(u, "hello\u4e2dworld", 5, 18, 6);
	n = tokenizer_load_dir(vocab_dir("nocjk", "{\"tokenize_chinese_chars\": false}"), err, sizeof err);
	if (!n)
		T_FAIL("load: %s", err);
	T_IDS(n, "\u4e2d\u6587", 18, 20);                 /* one word: 中 ##文 */
	tokenizer_free(n);
	tokenizer_free(u);
}

static void test_cleaning(void)
{
	tokenizer *u = small(1);
	T_ASSERT(u);
	T_IDS(u, "hel\x01lo", 5);                  /* Cc dropped, even inside a word */
	T_IDS_LEN(u, "hel\0lo", 6, 5);             /* NUL */
	T_IDS(u, "hel\u200dlo", 5);                /* Cf (zero width joiner) */
	T_IDS(u, "hel\u00adlo", 5);                /* Cf (soft hyphen) */
	T_IDS(u, "hel\ufffdlo", 5);                /* U+FFFD */
	T_IDS(u, "hel\xfflo", 5);                  /* invalid UTF-8 reads as U+FFFD */
	T_IDS(u, "hello\x0bworld", 1);             /* VT is Cc: dropped, not a space */
	T_IDS(u, "hello\xc2\x85world", 1);           /* NEL likewise */
	T_NONE(u, "\x7f\x1f");
	T_IDS(u, "hello\tworld", 5, 6);
	T_IDS(u, "hello\r\nworld", 5, 6);
	T_IDS(u, "hello\u00a0world", 5, 6);        /* Zs */
	T_IDS(u, "hello\u3000world", 5, 6);
	T_IDS(u, "hello\u1680world", 5, 6);
	T_IDS(u, "hello\u2028world\u2029hello", 5, 6, 5);  /* Zl, Zp split as in str.split() */
	tokenizer_free(u);
}

static void test_special_tokens_in_text(void)
{
	tokenizer *u = small(1);
	T_ASSERT(u);
	T_IDS(u, "hello [SEP] world", 5, 3, 6);
	T_IDS(u, "hello[SEP]world", 5, 3, 6);
	T_IDS(u, "[MASK][CLS]", 4, 2);
	T_IDS(u, "[[SEP]]", 23, 3, 24);
	T_IDS(u, "[sep]", 23, 25, 24);              /* case-sensitive */
	T_IDS(u, "[SEP", 23, 25);
	tokenizer_free(u);
}

static void test_encode_truncation(void)
{
	tokenizer *u = small(1);
	int ids[8], tr = -1, n;
	T_ASSERT(u);
	n = tokenizer_encode(u, "hello world hello", 17, ids, 4, &tr);
	T_EQ_INT(n, 4);
	T_EQ_INT(tr, 1);
	T_ASSERT(ids[0] == 2 && ids[1] == 5 && ids[2] == 6 && ids[3] == 3);
	n = tokenizer_encode(u, "hello world hello", 17, ids, 5, &tr);
	T_EQ_INT(n, 5);
	T_EQ_INT(tr, 0);
	T_ASSERT(ids[3] == 5 && ids[4] == 3);
	n = tokenizer_encode(u, "playing", 7, ids, 3, &tr);    /* cut inside a word */
	T_EQ_INT(n, 3);
	T_EQ_INT(tr, 1);
	T_ASSERT(ids[1] == 9 && ids[2] == 3);
	n = tokenizer_encode(u, "hello", 5, ids, 2, &tr);
	T_EQ_INT(n, 2);
	T_EQ_INT(tr, 1);
	n = tokenizer_encode(u, " ", 1, ids, 2, &tr);
	T_EQ_INT(n, 2);
	T_EQ_INT(tr, 0);
	T_ASSERT(ids[0] == 2 && ids[1] == 3);
	T_EQ_INT(tokenizer_encode(u, "hello", 5, ids, 8, NULL), 3);
	T_EQ_INT(tokenizer_encode(u, "hello", 5, ids, 1, &tr), -1);
	tokenizer_free(u);
}

static void test_accessors(void)
{
	tokenizer *u = small(1);
	T_ASSERT(u);
	T_EQ_INT(tokenizer_vocab_size(u), NV);
	for (int i = 0; i < NV; i++) {
		T_EQ_INT(tokenizer_token_id(u, V[i]), i);
		T_EQ_STR(tokenizer_token(u, i), V[i]);
	}
	T_EQ_INT(tokenizer_token_id(u, "##hello"), -1);
	T_EQ_INT(tokenizer_token_id(u, "ing"), -1);
	T_EQ_INT(tokenizer_token_id(u, ""), -1);
	T_ASSERT(tokenizer_token(u, -1) == NULL && tokenizer_token(u, NV) == NULL);
	T_EQ_INT(tokenizer_unk_id(u), 1);
	T_EQ_INT(tokenizer_cls_id(u), 2);
	T_EQ_INT(tokenizer_sep_id(u), 3);
	T_EQ_INT(tokenizer_pad_id(u), 0);
	T_EQ_INT(tokenizer_mask_id(u), 4);
	T_EQ_INT(tokenizer_model_max_length(u), 0);
	tokenizer_free(u);
}

/* ---- vocabulary files ---- */

static void test_vocab_round_trip(void)
{
	tokenizer *u = small(1), *r;
	char err[256], *buf;
	FILE *f;
	size_t n, want = 0;
	T_ASSERT(u);
	if (tokenizer_write_vocab(u, path_in("", "rt.txt"), err, sizeof err))
		T_FAIL("write: %s", err);
	r = tokenizer_load_vocab(path_in("", "rt.txt"), 1, err, sizeof err);
	if (!r)
		T_FAIL("reload: %s", err);
	T_EQ_INT(tokenizer_vocab_size(r), NV);
	for (int i = 0; i < NV; i++) {
		T_EQ_STR(tokenizer_token(r, i), V[i]);
		T_EQ_INT(tokenizer_token_id(r, V[i]), i);
		want += strlen(V[i]) + 1;
	}
	f = fopen(path_in("", "rt.txt"), "rb");
	T_ASSERT(f);
	buf = malloc(want + 16);
	n = fread(buf, 1, want + 16, f);
	fclose(f);
	T_EQ_INT(n, want);
	T_ASSERT(!memcmp(buf, "[PAD]\n[UNK]\n[CLS]\n", 18) && buf[n - 1] == '\n');
	free(buf);
	T_IDS(r, "Hello, World!", 5, 7, 6, 8);
	tokenizer_free(r);
	tokenizer_free(u);
}

static void test_vocab_file_details(void)
{
	char err[256];
	tokenizer *t;
	/* \r\n, \r and \n all end a line (Python's text mode); empty lines are tokens. */
	write_file(path_in("", "crlf.txt"), "[PAD]\r\n[UNK]\r[CLS]\n[SEP]\r\n\r\nx\r\n##y");
	t = tokenizer_load_vocab(path_in("", "crlf.txt"), 1, err, sizeof err);
	if (!t)
		T_FAIL("load: %s", err);
	T_EQ_INT(tokenizer_vocab_size(t), 7);
	T_EQ_STR(tokenizer_token(t, 4), "");
	T_EQ_STR(tokenizer_token(t, 5), "x");
	T_EQ_STR(tokenizer_token(t, 6), "##y");
	T_EQ_INT(tokenizer_mask_id(t), -1);
	T_IDS(t, "xy", 5, 6);
	tokenizer_free(t);
	/* A duplicate: the later line wins, as in Python's dict. */
	write_file(path_in("", "dup.txt"), "[PAD]\n[UNK]\n[CLS]\n[SEP]\nx\nx\n");
	t = tokenizer_load_vocab(path_in("", "dup.txt"), 1, err, sizeof err);
	T_ASSERT(t);
	T_EQ_INT(tokenizer_token_id(t, "x"), 5);
	T_IDS(t, "x", 5);
	tokenizer_free(t);
	/* Errors. */
	write_file(path_in("", "nounk.txt"), "[PAD]\n[CLS]\n[SEP]\nx\n");
	T_ASSERT(!tokenizer_load_vocab(path_in("", "nounk.txt"), 1, err, sizeof err));
	T_ASSERT(strstr(err, "nounk.txt") && strstr(err, "[UNK]"));
	T_ASSERT(!tokenizer_load_vocab(path_in("", "missing.txt"), 1, err, sizeof err));
	T_ASSERT(strstr(err, "missing.txt") != NULL);
	{
		const char *bad[] = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "a\nb"};
		t = tokenizer_from_tokens(bad, 5, 1, err, sizeof err);
		T_ASSERT(t);
		T_EQ_INT(tokenizer_write_vocab(t, path_in("", "bad.txt"), err, sizeof err), -1);
		T_ASSERT(strstr(err, "line break") != NULL);
		tokenizer_free(t);
	}
	T_ASSERT(!tokenizer_from_tokens(V, 0, 1, err, sizeof err));
}

static void test_load_dir_vocab_config(void)
{
	char err[256];
	tokenizer *t;
	t = tokenizer_load_dir(vocab_dir("plain", NULL), err, sizeof err);
	if (!t)
		T_FAIL("load: %s", err);
	T_EQ_INT(tokenizer_lowercase(t), 1);          /* default: uncased */
	T_IDS(t, "Caf\u00e9", 17);
	tokenizer_free(t);

	t = tokenizer_load_dir(vocab_dir("cased", "{\"do_lower_case\": false, \"model_max_length\": 512}"),
			       err, sizeof err);
	if (!t)
		T_FAIL("load: %s", err);
	T_EQ_INT(tokenizer_lowercase(t), 0);
	T_EQ_INT(tokenizer_model_max_length(t), 512);
	T_IDS(t, "Hello Caf\u00e9", 40, 42);
	tokenizer_free(t);

	t = tokenizer_load_dir(vocab_dir("cased-strip", "{\"do_lower_case\": false, \"strip_accents\": true}"),
			       err, sizeof err);
	if (!t)
		T_FAIL("load: %s", err);
	T_EQ_INT(tokenizer_strip_accents(t), 1);
	T_IDS(t, "Caf\u00e9", 46);
	tokenizer_free(t);

	t = tokenizer_load_dir(vocab_dir("lower-keep", "{\"do_lower_case\": true, \"strip_accents\": false, "
				       "\"model_max_length\": 1000000000000000019884624838656}"), err, sizeof err);
	if (!t)
		T_FAIL("load: %s", err);
	T_EQ_INT(tokenizer_strip_accents(t), 0);
	T_EQ_INT(tokenizer_model_max_length(t), 0);
	T_IDS(t, "CAF\u00c9", 47);
	T_IDS(t, "\u0130", 45);                      /* i + U+0307 kept */
	tokenizer_free(t);

	/* Special token names and extra special tokens. */
	vocab_dir("specials", "{\"additional_special_tokens\": [\"una\"]}");
	write_file(path_in("specials", "special_tokens_map.json"),
		   "{\"mask_token\": {\"content\": \"cafe\", \"lstrip\": true}}");
	t = tokenizer_load_dir(path_in("specials", ""), err, sizeof err);
	if (!t)
		T_FAIL("load: %s", err);
	T_EQ_INT(tokenizer_mask_id(t), 17);
	T_IDS(t, "unaffable", 13, 1);                /* "una" found literally first */
	T_IDS(t, "xcafe", 1, 17);
	tokenizer_free(t);

	T_ASSERT(!tokenizer_load_dir(vocab_dir("badcfg", "{\"do_lower_case\": \"yes\"}"), err, sizeof err));
	T_ASSERT(strstr(err, "tokenizer_config.json") && strstr(err, "do_lower_case"));
	T_ASSERT(!tokenizer_load_dir(vocab_dir("badjson", "{\"do_lower_case\": "), err, sizeof err));
	T_ASSERT(strstr(err, "tokenizer_config.json") != NULL);
	T_ASSERT(!tokenizer_load_dir(path_in("", "nonexistent"), err, sizeof err));
	T_ASSERT(strstr(err, "no tokenizer.json or vocab.txt") != NULL);
}

/* A tokenizer.json as the tokenizers library writes it: cased, custom
 * continuation prefix, short word limit, an added token beyond the vocab. */
static const char tj_cased[] =
	"{\"version\": \"1.0\", \"truncation\": {\"max_length\": 128, \"strategy\": \"LongestFirst\", \"stride\": 0},"
	" \"padding\": null,"
	" \"added_tokens\": ["
	"  {\"id\": 0, \"content\": \"[PAD]\", \"single_word\": false, \"lstrip\": false, \"rstrip\": false,"
	"   \"normalized\": false, \"special\": true},"
	"  {\"id\": 10, \"content\": \"<special>\", \"single_word\": false, \"lstrip\": false, \"rstrip\": false,"
	"   \"normalized\": false, \"special\": true}],"
	" \"normalizer\": {\"type\": \"BertNormalizer\", \"clean_text\": true, \"handle_chinese_chars\": true,"
	"   \"strip_accents\": null, \"lowercase\": false},"
	" \"pre_tokenizer\": {\"type\": \"BertPreTokenizer\"},"
	" \"post_processor\": {\"type\": \"BertProcessing\", \"sep\": [\"[SEP]\", 3], \"cls\": [\"[CLS]\", 2]},"
	" \"decoder\": {\"type\": \"WordPiece\", \"prefix\": \"--\", \"cleanup\": true},"
	" \"model\": {\"type\": \"WordPiece\", \"unk_token\": \"[UNK]\", \"continuing_subword_prefix\": \"--\","
	"   \"max_input_chars_per_word\": 8, \"vocab\": {\"hello\": 5, \"[UNK]\": 1, \"[CLS]\": 2, \"[SEP]\": 3,"
	"   \"[MASK]\": 4, \"Hello\": 6, \"--lo\": 7, \"hel\": 8, \"##lo\": 9, \"[PAD]\": 0}}}";

/* Uncased, template post-processor with other names for [CLS] / [SEP]. */
static const char tj_template[] =
	"{\"version\": \"1.0\", \"truncation\": null, \"padding\": {\"pad_token\": \"<pad>\"}, \"added_tokens\": [],"
	" \"normalizer\": {\"type\": \"BertNormalizer\", \"clean_text\": true, \"handle_chinese_chars\": true,"
	"   \"strip_accents\": null, \"lowercase\": true},"
	" \"pre_tokenizer\": {\"type\": \"BertPreTokenizer\"},"
	" \"post_processor\": {\"type\": \"TemplateProcessing\", \"single\": [{\"SpecialToken\": {\"id\": \"<s>\","
	"   \"type_id\": 0}}, {\"Sequence\": {\"id\": \"A\", \"type_id\": 0}}, {\"SpecialToken\": {\"id\": \"</s>\","
	"   \"type_id\": 0}}], \"pair\": [], \"special_tokens\": {}},"
	" \"model\": {\"type\": \"WordPiece\", \"unk_token\": \"[UNK]\", \"continuing_subword_prefix\": \"##\","
	"   \"max_input_chars_per_word\": 100, \"vocab\": {\"<pad>\": 0, \"[UNK]\": 1, \"<s>\": 2, \"</s>\": 3,"
	"   \"hello\": 4, \"caf\": 5, \"##e\": 6}}}";

static const char *json_dir(const char *sub, const char *tokenizer_json, const char *config)
{
	char d[512];
	snprintf(d, sizeof d, "%s/%s", tmpdir, sub);
	mkdir(d, 0700);
	write_file(path_in(sub, "tokenizer.json"), tokenizer_json);
	if (config)
		write_file(path_in(sub, "tokenizer_config.json"), config);
	return path_in(sub, "");
}

static void test_load_tokenizer_json(void)
{
	char err[256];
	int ids[8], tr;
	tokenizer *t = tokenizer_load_dir(json_dir("tj", tj_cased, NULL), err, sizeof err);
	if (!t)
		T_FAIL("load: %s", err);
	T_EQ_INT(tokenizer_vocab_size(t), 11);
	T_EQ_INT(tokenizer_lowercase(t), 0);
	T_EQ_INT(tokenizer_model_max_length(t), 128);
	T_EQ_STR(tokenizer_token(t, 10), "<special>");
	T_EQ_INT(tokenizer_token_id(t, "--lo"), 7);
	T_IDS(t, "Hello hello", 6, 5);
	T_IDS(t, "hellolo", 5, 7);                   /* continuation prefix "--" */
	T_IDS(t, "hellololo", 1);                    /* 9 characters > 8 */
	T_IDS(t, "hello<special>Hello", 5, 10, 6);   /* added token, found literally */
	T_EQ_INT(tokenizer_encode(t, "hello", 5, ids, 8, &tr), 3);
	T_ASSERT(ids[0] == 2 && ids[1] == 5 && ids[2] == 3 && !tr);
	tokenizer_free(t);
	/* vocab.txt is ignored when tokenizer.json exists; tokenizer_config.json's
	 * do_lower_case overrides the normaliser (as BertTokenizerFast). */
	vocab_dir("tj", NULL);
	t = tokenizer_load_dir(json_dir("tj", tj_cased, "{\"do_lower_case\": true}"), err, sizeof err);
	if (!t)
		T_FAIL("load: %s", err);
	T_EQ_INT(tokenizer_vocab_size(t), 11);
	T_EQ_INT(tokenizer_lowercase(t), 1);
	T_EQ_INT(tokenizer_strip_accents(t), 1);
	T_IDS(t, "Hello", 5);
	tokenizer_free(t);

	/* A word limit above the stack scratch size. */
	{
		char *s = malloc(sizeof tj_cased + 8), word[206];
		int *v, n;
		const char *p = strstr(tj_cased, "word\": 8");
		T_ASSERT(p);
		snprintf(s, sizeof tj_cased + 8, "%.*sword\": 300%s", (int)(p - tj_cased), tj_cased,
			 p + strlen("word\": 8"));
		t = tokenizer_load_dir(json_dir("tj3", s, NULL), err, sizeof err);
		free(s);
		if (!t)
			T_FAIL("load: %s", err);
		memcpy(word, "hello", 5);
		for (int i = 0; i < 100; i++)
			memcpy(word + 5 + 2 * i, "lo", 2);
		word[205] = 0;
		n = tokenizer_tokenize(t, word, 205, &v);
		T_EQ_INT(n, 101);
		T_ASSERT(v[0] == 5 && v[1] == 7 && v[100] == 7);
		free(v);
		tokenizer_free(t);
	}

	t = tokenizer_load_dir(json_dir("tj2", tj_template, NULL), err, sizeof err);
	if (!t)
		T_FAIL("load: %s", err);
	T_EQ_INT(tokenizer_cls_id(t), 2);
	T_EQ_INT(tokenizer_sep_id(t), 3);
	T_EQ_INT(tokenizer_pad_id(t), 0);
	T_EQ_INT(tokenizer_mask_id(t), -1);
	T_EQ_INT(tokenizer_lowercase(t), 1);
	T_IDS(t, "HELLO Caf\u00e9", 4, 5, 6);
	T_IDS(t, "[CLS]", 1, 1, 1);                  /* no such special token here */
	tokenizer_free(t);
}

static void test_tokenizer_json_errors(void)
{
	char err[256], *s;
	const char *cases[][2] = {
		{"\"type\": \"BertNormalizer\"", "\"type\": \"Sequence\""},
		{"\"type\": \"WordPiece\", \"unk_token\"", "\"type\": \"BPE\", \"unk_token\""},
		{"\"type\": \"BertPreTokenizer\"", "\"type\": \"Whitespace\""},
		{"\"--lo\": 7", "\"--lo\": 17"},
		{"\"max_input_chars_per_word\": 8", "\"max_input_chars_per_word\": -8"},
	};
	const char *expect[] = {"normalizer", "WordPiece", "pre_tokenizer", "no token with id 7",
				"max_input_chars_per_word"};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *p = strstr(tj_cased, cases[i][0]);
		T_ASSERT(p);
		s = malloc(sizeof tj_cased + 64);
		snprintf(s, sizeof tj_cased + 64, "%.*s%s%s", (int)(p - tj_cased), tj_cased, cases[i][1],
			 p + strlen(cases[i][0]));
		err[0] = 0;
		tokenizer *t = tokenizer_load_dir(json_dir("tjbad", s, NULL), err, sizeof err);
		free(s);
		if (t || !strstr(err, expect[i]) || !strstr(err, "tokenizer.json")) {
			tokenizer_free(t);
			T_FAIL("case %zu: error \"%s\", expected one about %s", i, err, expect[i]);
		}
	}
}

/* ---- basic tokens with offsets ---- */

struct words {
	char text[16][16];
	size_t off[16];
	int n;
};

static void on_word(const char *w, size_t len, size_t off, void *ctx)
{
	struct words *ws = ctx;
	if (ws->n < 16 && len < 16) {
		memcpy(ws->text[ws->n], w, len);
		ws->text[ws->n][len] = 0;
		ws->off[ws->n] = off;
	}
	ws->n++;
}

static void test_words_with_offsets(void)
{
	tokenizer *u = small(1), *c = small(0);
	static const char text[] = "H\u00e9llo,\x01 wor\x01ld! \u4e2d\u6587 [SEP]";
	const char *want[] = {"H\u00e9llo", ",", "world", "!", "\u4e2d", "\u6587", "[SEP]"};
	const size_t off[] = {0, 6, 9, 15, 17, 20, 24};
	struct words ws = {0};
	T_ASSERT(u && c);
	T_EQ_INT(tokenizer_words(u, text, strlen(text), on_word, &ws), 7);
	T_EQ_INT(ws.n, 7);
	for (int i = 0; i < 7; i++) {
		T_EQ_STR(ws.text[i], want[i]);
		T_EQ_INT(ws.off[i], off[i]);
	}
	/* What is stripped to nothing is no word; cased it stays. */
	memset(&ws, 0, sizeof ws);
	T_EQ_INT(tokenizer_words(u, "a \u0301 b", 6, on_word, &ws), 2);
	memset(&ws, 0, sizeof ws);
	T_EQ_INT(tokenizer_words(c, "a \u0301 b", 6, on_word, &ws), 3);
	T_EQ_STR(ws.text[1], "\u0301");
	T_EQ_INT(ws.off[1], 2);
	tokenizer_free(u);
	tokenizer_free(c);
}

/* ---- threads ---- */

static void test_thread_safety(void)
{
	static const char *texts[] = {"Hello, World!", "playing unaffable", "Caf\u00e9 \u4e2d\u6587",
				      "hello [SEP] world", "\u039f\u0394\u039f\u03a3 x", ""};
	enum { N = 600, L = 16 };
	int want[6][L], nw[6], bad = 0;
	tokenizer *u = small(1);
	T_ASSERT(u);
	for (int i = 0; i < 6; i++)
		nw[i] = tokenizer_encode(u, texts[i], strlen(texts[i]), want[i], L, NULL);
#pragma omp parallel for num_threads(2) reduction(+ : bad)
	for (int i = 0; i < N; i++) {
		int ids[L], k = i % 6, n = tokenizer_encode(u, texts[k], strlen(texts[k]), ids, L, NULL);
		bad += n != nw[k] || memcmp(ids, want[k], (size_t)n * sizeof(int));
	}
	T_EQ_INT(bad, 0);
	tokenizer_free(u);
}

/* ---- speed on real sentences (STS-B dev), reported, loosely checked ---- */

static double seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void test_encode_speed_stsb(void)
{
	char vpath[1024], spath[1024], err[256], *line = NULL;
	char **sent = NULL;
	size_t *slen = NULL, cap = 0;
	int ns = 0, ids[512], reps = 0;
	long total = 0, ntok = 0;
	ssize_t n;
	double t0, dt;
	FILE *f;
	tokenizer *t;
	snprintf(vpath, sizeof vpath, "%s/vocab/bert-base-uncased.txt", t_shared());
	snprintf(spath, sizeof spath, "%s/sts/stsb-dev.ndjson", t_shared());
	if (access(vpath, R_OK) || access(spath, R_OK))
		T_SKIP("no ../shared/data/vocab/bert-base-uncased.txt or sts/stsb-dev.ndjson");
	t = tokenizer_load_vocab(vpath, 1, err, sizeof err);
	if (!t)
		T_FAIL("load: %s", err);
	f = fopen(spath, "r");
	T_ASSERT(f);
	while ((n = getline(&line, &cap, f)) > 0) {
		jv rec = jv_parse_sized(line, (int)n);
		for (int k = 0; k < 2; k++) {
			jv s = jv_object_get(jv_copy(rec), jv_string(k ? "sentence2" : "sentence1"));
			if (jv_get_kind(s) == JV_KIND_STRING) {
				sent = realloc(sent, (size_t)(ns + 1) * sizeof *sent);
				slen = realloc(slen, (size_t)(ns + 1) * sizeof *slen);
				sent[ns] = strdup(jv_string_value(s));
				slen[ns] = strlen(sent[ns]);
				ns++;
			}
			jv_free(s);
		}
		jv_free(rec);
	}
	free(line);
	fclose(f);
	T_ASSERT(ns == 3000);
	t0 = seconds();
	do {
		for (int i = 0; i < ns; i++) {
			int m = tokenizer_encode(t, sent[i], slen[i], ids, 512, NULL);
			if (m < 2)
				T_FAIL("sentence %d: %d ids", i, m);
			ntok += m;
		}
		total += ns;
		reps++;
		dt = seconds() - t0;
	} while (dt < 0.25);
	printf("# tokenizer_encode: %.0f sentences/s, %.1f M tokens/s (STS-B dev, %d sentences x %d)\n",
	       total / dt, ntok / dt / 1e6, ns, reps);
	for (int i = 0; i < ns; i++)
		free(sent[i]);
	free(sent);
	free(slen);
	tokenizer_free(t);
	/* A loose floor that holds even under the sanitizers on a busy machine. */
	T_ASSERT(total / dt > 20000);
}

static void cleanup(void)
{
	char cmd[600];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
}

int main(void)
{
	snprintf(tmpdir, sizeof tmpdir, "%s/gcse-tok-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 2;
	}
	T_RUN(test_conformance_bert_uncased);
	T_RUN(test_basic_and_punctuation);
	T_RUN(test_wordpiece_greedy);
	T_RUN(test_word_length_limit);
	T_RUN(test_accents);
	T_RUN(test_python_lowercase);
	T_RUN(test_cjk);
	T_RUN(test_cleaning);
	T_RUN(test_special_tokens_in_text);
	T_RUN(test_encode_truncation);
	T_RUN(test_accessors);
	T_RUN(test_vocab_round_trip);
	T_RUN(test_vocab_file_details);
	T_RUN(test_load_dir_vocab_config);
	T_RUN(test_load_tokenizer_json);
	T_RUN(test_tokenizer_json_errors);
	T_RUN(test_words_with_offsets);
	T_RUN(test_thread_safety);
	T_RUN(test_encode_speed_stsb);
	cleanup();
	return t_done();
}
