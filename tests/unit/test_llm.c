/* test_llm.c — the LLM client's pieces that need no server: SHA-256, answer
 * extraction and shape checks, cache keys and files, backoff and
 * Retry-After, key scrubbing, endpoint and response parsing, request bodies,
 * prompt files and templates (the shipped prompts included), options. The
 * network side is tested by tests/cli/llm.sh against tests/tools/fakellm.py. */
#include "t.h"

#include "llm/llm.h"
#include "llm/llmanswer.h"
#include "llm/llmcache.h"
#include "llm/prompts.h"
#include "base/sha256.h"

#include <dirent.h>
#include <curl/curl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------ sha256 */

static void test_sha256_vectors(void)
{
	char h[65];
	sha256_hex("", 0, h);
	T_EQ_STR(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	sha256_hex("abc", 3, h);
	T_EQ_STR(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	sha256_hex(m, strlen(m), h);
	T_EQ_STR(h, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	/* one million 'a', fed in uneven pieces */
	sha256_ctx c;
	unsigned char d[32];
	char a[997];
	memset(a, 'a', sizeof a);
	sha256_init(&c);
	size_t left = 1000000;
	for (size_t k = 1; left; k = (k * 31 + 7) % 997 + 1) {
		size_t n = k < left ? k : left;
		sha256_update(&c, a, n);
		left -= n;
	}
	sha256_final(&c, d);
	sha256_tohex(d, h);
	T_EQ_STR(h, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

static void test_sha256_block_edges(void)
{
	/* lengths around the 55/56/64-byte padding edges: incremental == one-shot */
	char buf[200];
	for (int i = 0; i < 200; i++)
		buf[i] = (char)(i * 7 + 3);
	for (size_t n = 50; n < 140; n++) {
		char one[65], inc[65];
		sha256_hex(buf, n, one);
		sha256_ctx c;
		unsigned char d[32];
		sha256_init(&c);
		for (size_t i = 0; i < n; i++)
			sha256_update(&c, buf + i, 1);
		sha256_final(&c, d);
		sha256_tohex(d, inc);
		T_EQ_STR(inc, one);
	}
}

/* ------------------------------------------------------------ extraction */

static llm_format text_fmt;

/* extract with the {"text": nonempty} shape; returns the text or "ERR why" */
static char got[600];
static const char *ex(const char *content)
{
	jv out;
	char err[512];
	got[0] = 0;
	if (llm_extract(content, strlen(content), &text_fmt, NULL, &out, err, sizeof err) == LLM_R_OK) {
		jv t = jv_object_get(out, jv_string("text"));
		snprintf(got, sizeof got, "%s", jv_string_value(t));
		jv_free(t);
	} else {
		snprintf(got, sizeof got, "ERR %s", err);
	}
	return got;
}

static void test_extract_plain_and_wrapped(void)
{
	T_EQ_STR(ex("{\"text\": \"a b\"}"), "a b");
	T_EQ_STR(ex("  \n{\"text\":\"x\"}\n"), "x");
	T_EQ_STR(ex("```json\n{\n  \"text\": \"fenced\"\n}\n```"), "fenced");
	T_EQ_STR(ex("Sure! Here it is:\n```\n{\"text\": \"f2\"}\n```\nAnything else?"), "f2");
	T_EQ_STR(ex("Here is the rewrite: {\"text\": \"p\"} Hope it helps {:-)}"), "p");
}

static void test_extract_think_blocks(void)
{
	T_EQ_STR(ex("<think>maybe {\"text\": \"decoy\"}?</think>{\"text\": \"real\"}"), "real");
	T_EQ_STR(ex("<THINK>x</THINK>\n<thinking>{\"text\":\"d\"}</thinking> {\"text\": \"r2\"}"), "r2");
	/* the template opened the block: only a closing tag in the answer */
	T_EQ_STR(ex("so {\"text\": \"decoy\"} hmm</think>{\"text\": \"r3\"}"), "r3");
	/* an unfinished block runs to the end: nothing left */
	T_ASSERT(!strncmp(ex("{\"text\": \"before\"}<think>{\"text\": \"decoy\"}"), "before", 6));
	T_ASSERT(!strncmp(ex("<think>never ends {\"text\": \"decoy\"}"), "ERR ", 4));
	char *s = llm_strip_reasoning("a<reasoning>b</reasoning>c<think>d</think>e", 43);
	T_EQ_STR(s, "ace");
	free(s);
}

static void test_extract_braces_in_strings(void)
{
	T_EQ_STR(ex("{\"text\": \"a } b { c\"}"), "a } b { c");
	T_EQ_STR(ex("{\"text\": \"quote \\\" and } brace\"}"), "quote \" and } brace");
	T_EQ_STR(ex("{\"note\": {\"x\": [1, {\"y\": \"}\"}]}, \"text\": \"nested\"}"), "nested");
	/* braces in the prose before the answer */
	T_EQ_STR(ex("Use the form {text} or {\"bad\": } then {\"text\": \"ok\"}"), "ok");
}

static void test_extract_multiple_objects(void)
{
	/* the first object of the right shape wins */
	T_EQ_STR(ex("{\"text\": \"one\"} {\"text\": \"two\"}"), "one");
	T_EQ_STR(ex("{\"answer\": 1} then {\"text\": \"second\"}"), "second");
	T_EQ_STR(ex("[{\"text\": \"in array\"}]"), "in array");
	/* an object inside a wrongly shaped object is not searched separately */
	T_ASSERT(!strncmp(ex("{\"answer\": {\"text\": \"inner\"}}"), "ERR wrong shape", 15));
}

static void test_extract_failures(void)
{
	T_EQ_STR(ex(""), "ERR empty answer");
	T_EQ_STR(ex("  \n "), "ERR empty answer");
	T_EQ_STR(ex("I cannot help with that."), "ERR no JSON object in the answer, which begins \"I cannot help with that.\"");
	T_ASSERT(strstr(ex("{\"text\": \"cut off"), "cut off"));
	T_ASSERT(strstr(ex("{\"text\": 42}"), "wrong shape: text: expected nonempty, got number"));
	T_ASSERT(strstr(ex("{\"text\": \"  \"}"), "got an empty string"));
	T_ASSERT(strstr(ex("{\"answer\": \"x\"}"), "text: missing"));
	T_ASSERT(strstr(ex("{'text': 'single quotes'}"), "invalid JSON"));
	T_ASSERT(!strncmp(ex("\x01\x02{{{{{{]]]]}}}"), "ERR ", 4));
	/* no format: any object */
	jv out;
	char err[200];
	T_EQ_INT(llm_extract("x {\"a\": 1} y", 12, NULL, NULL, &out, err, sizeof err), LLM_R_OK);
	T_EQ_INT(jv_number_value(jv_object_get(out, jv_string("a"))), 1);
	/* each failure has its reason, for the summary */
	static const struct { const char *content; int reason; } why[] = {
		{"", LLM_R_EMPTY}, {"no json here", LLM_R_NOJSON}, {"{\"text\": \"cut", LLM_R_CUT},
		{"{'text': 1}", LLM_R_BADJSON}, {"{\"text\": 1}", LLM_R_SHAPE},
	};
	for (size_t i = 0; i < sizeof why / sizeof *why; i++)
		T_EQ_INT(llm_extract(why[i].content, strlen(why[i].content), &text_fmt, NULL, &out, err, sizeof err),
		         why[i].reason);
	/* a NUL byte in the answer is named, not taken for the end of it */
	T_EQ_INT(llm_extract("{\"text\": \"a\"}\0tail", 19, &text_fmt, NULL, &out, err, sizeof err), LLM_R_ENCODING);
	T_ASSERT(strstr(err, "NUL"));
	/* the first lines of prose are quoted, cut between characters */
	const char *fr = "  \xc3\xa9t\xc3\xa9 sans JSON, et puis encore du texte pour d\xc3\xa9passer soixante octets";
	T_EQ_INT(llm_extract(fr, strlen(fr), &text_fmt, NULL, &out, err, sizeof err), LLM_R_NOJSON);
	T_ASSERT(strstr(err, "which begins \"\xc3\xa9t\xc3\xa9 sans JSON"));
	T_ASSERT(strstr(err, "...\""));
}

/* D12: a complete answer over the size an answer may have is named as such,
 * not as "cut off" (its JSON is whole). */
static void test_extract_too_long(void)
{
	size_t n = (2u << 20) + 20;
	char *s = malloc(n + 1);
	memcpy(s, "{\"text\": \"", 10);
	memset(s + 10, 'x', n - 12);
	memcpy(s + n - 2, "\"}", 2);
	s[n] = 0;
	jv out;
	char err[300];
	T_EQ_INT(llm_extract(s, n, &text_fmt, NULL, &out, err, sizeof err), LLM_R_TOOLONG);
	T_ASSERT(strstr(err, "2097172 bytes, more than the 1 MiB an answer may have"));
	T_ASSERT(!strstr(err, "cut off"));
	free(s);
}

static void test_extract_pathological(void)
{
	/* many '{' without a match: bounded work, a clean error */
	size_t n = 300000;
	char *s = malloc(n + 1);
	memset(s, '{', n);
	s[n] = 0;
	jv out;
	char err[200];
	double t0 = (double)clock() / CLOCKS_PER_SEC;
	T_ASSERT(llm_extract(s, n, NULL, NULL, &out, err, sizeof err) != LLM_R_OK);
	T_ASSERT((double)clock() / CLOCKS_PER_SEC - t0 < 5);
	free(s);
}

/* ------------------------------------------------------------ shapes */

static int shape_ok(const char *value, const char *shape, char *err, size_t errlen)
{
	jv v = jv_parse(value), s = jv_parse(shape);
	int r = llm_shape_check(v, s, err, errlen);
	jv_free(v);
	jv_free(s);
	return r;
}

static void test_shape_check(void)
{
	char e[300];
	const char *kg = "{\"entities\":[{\"text\":\"nonempty\",\"type\":\"string\"}],"
	                 "\"quantities\":[{\"text\":\"string\",\"value\":\"number?\",\"unit\":\"string?\"}],"
	                 "\"parts?\":{\"theme\":\"string?\",\"subject\":{\"text\":\"string\",\"count\":\"integer?\"}}}";
	T_ASSERT(shape_ok("{\"entities\":[{\"text\":\"a man\",\"type\":\"person\"}],\"quantities\":[]}", kg, e, sizeof e));
	T_ASSERT(shape_ok("{\"entities\":[],\"quantities\":[{\"text\":\"two\",\"value\":null}],"
	                  "\"parts\":{\"subject\":{\"text\":\"x\",\"count\":2}},\"extra\":true}", kg, e, sizeof e));
	T_ASSERT(!shape_ok("{\"entities\":[{\"text\":\"a\",\"type\":\"p\"},{\"text\":\"b\",\"type\":null}],\"quantities\":[]}",
	                   kg, e, sizeof e));
	T_EQ_STR(e, "entities[1].type: expected string, got null");
	T_ASSERT(!shape_ok("{\"entities\":[],\"quantities\":[],\"parts\":{\"subject\":{\"text\":\"x\",\"count\":1.5}}}",
	                   kg, e, sizeof e));
	T_EQ_STR(e, "parts.subject.count: expected integer, got number");
	T_ASSERT(!shape_ok("{\"quantities\":[]}", kg, e, sizeof e));
	T_EQ_STR(e, "entities: missing");
	T_ASSERT(!shape_ok("{\"entities\":{},\"quantities\":[]}", kg, e, sizeof e));
	T_EQ_STR(e, "entities: expected array, got object");
	T_ASSERT(shape_ok("{\"v\":\"x\"}", "{\"v\":\"number|string\"}", e, sizeof e));
	T_ASSERT(shape_ok("{\"v\":3}", "{\"v\":\"number|string\"}", e, sizeof e));
	T_ASSERT(!shape_ok("{\"v\":true}", "{\"v\":\"number|string\"}", e, sizeof e));
	T_EQ_STR(e, "v: expected number|string, got boolean");
	T_ASSERT(!shape_ok("{\"v\":1}", "{\"v\":\"float\"}", e, sizeof e));
	T_ASSERT(strstr(e, "bad shape type"));
	T_ASSERT(shape_ok("[1,2]", "[]", e, sizeof e));
	T_ASSERT(!shape_ok("3", "{}", e, sizeof e));
	T_EQ_STR(e, ".: expected object, got number");
}

/* The stock shapes parse and accept what the prompts ask for (the fake
 * server's extraction answer has the same form). */
static void test_stock_shapes(void)
{
	char e[300];
	jv s = jv_parse(LLM_SHAPE_KGEXTRACT), t = jv_parse(LLM_SHAPE_TEXT);
	T_ASSERT(jv_get_kind(s) == JV_KIND_OBJECT && jv_get_kind(t) == JV_KIND_OBJECT);
	jv a = jv_parse("{\"entities\": [{\"text\": \"a man\", \"type\": \"person\"}],"
	                "\"quantities\": [{\"text\": \"two dogs\", \"value\": 2, \"unit\": \"dog\"},"
	                "{\"text\": \"some\", \"value\": null, \"unit\": null}],"
	                "\"parts\": {\"theme\": \"sport\", \"subject\": {\"text\": \"a man\","
	                "\"type\": \"person\", \"count\": 1}, \"action\": \"skis\", \"state\": null}}");
	if (!llm_shape_check(a, s, e, sizeof e))
		T_FAIL("%s", e);
	jv b = jv_parse("{\"entities\": [], \"quantities\": [], \"parts\": {\"subject\": null}}");
	if (!llm_shape_check(b, s, e, sizeof e))
		T_FAIL("%s", e);
	jv c = jv_parse("{\"entities\": [{\"text\": \"x\"}], \"quantities\": [], \"parts\": {}}");
	T_ASSERT(!llm_shape_check(c, s, e, sizeof e));
	T_EQ_STR(e, "entities[0].type: missing");
	jv d = jv_parse("{\"entities\": [], \"quantities\": [{\"text\": \"2\", \"value\": \"2\"}], \"parts\": {}}");
	T_ASSERT(!llm_shape_check(d, s, e, sizeof e));
	T_EQ_STR(e, "quantities[0].value: expected number, got string");
	jv_free(a);
	jv_free(b);
	jv_free(c);
	jv_free(d);
	jv_free(s);
	jv_free(t);
}

/* Issue 15, D8: an answer string holding U+0000 would be cut where the
 * programs take it as a C string: it is an invalid answer (re-asked, then
 * the rule fallback), never a shortened text. */
static int check_text(const char *answer, const char *anchor, char *e, size_t n);
static void test_nul_answers(void)
{
	T_ASSERT(strstr(ex("{\"text\": \"a cat\\u0000 sat\"}"), "u0000"));
	T_EQ_STR(ex("{\"text\": \"a cat sat\"}"), "a cat sat");
	char e[200];
	T_ASSERT(check_text("{\"text\": \"A woman\\u0000 plays a guitar.\"}", "A man plays a guitar.", e,
	                    sizeof e) != LLM_R_OK);
	T_ASSERT(strstr(e, "NUL"));
}

static int check_text(const char *answer, const char *anchor, char *e, size_t n)
{
	jv a = jv_parse(answer);
	if (!jv_is_valid(a)) {
		jv_free(a);
		snprintf(e, n, "test: not JSON: %s", answer);
		return -1;
	}
	int r = llm_check_text(a, (void *)anchor, e, n);
	jv_free(a);
	return r;
}

static void test_check_text(void)
{
	char e[300];
	const char *s = "A man plays a guitar on the stage.";
	T_EQ_INT(check_text("{\"text\": \"A woman plays a guitar on the stage.\"}", s, e, sizeof e), LLM_R_OK);
	T_EQ_INT(check_text("{\"text\": \"On the stage, a man is playing the guitar.\"}", s, e, sizeof e), LLM_R_OK);
	/* a copy: the same words, whatever the case, blanks and punctuation */
	T_EQ_INT(check_text("{\"text\": \"A man  plays\\n a GUITAR on the stage\"}", s, e, sizeof e), LLM_R_COPY);
	T_EQ_STR(e, "text: the same as the sentence");
	T_EQ_INT(check_text("{\"text\": \"a man plays a guitar, on the stage!\"}", s, e, sizeof e), LLM_R_COPY);
	/* length: over 2x + 20 bytes, or under (length - 20) / 3 */
	T_EQ_INT(check_text("{\"text\": \"A man plays a guitar on the stage, and then he plays it again on the stage, "
	                    "all night long, until the sun comes up.\"}", s, e, sizeof e), LLM_R_LENGTH);
	T_ASSERT(strstr(e, "far longer"));
	T_EQ_INT(check_text("{\"text\": \"A guitar.\"}", s, e, sizeof e), LLM_R_OK);   /* 9 >= (34 - 20) / 3 */
	T_EQ_INT(check_text("{\"text\": \"Man.\"}", "A man plays a long song on an old guitar on the big stage.",
	                    e, sizeof e), LLM_R_LENGTH);
	T_ASSERT(strstr(e, "far shorter"));
	/* unrelated: under a fifth of 4 or more content words */
	T_EQ_INT(check_text("{\"text\": \"Purple monkeys dishwasher quantum harmonica.\"}", s, e, sizeof e),
	         LLM_R_UNRELATED);
	T_EQ_STR(e, "text: unrelated to the sentence (0 of its 4 content words)");
	/* inflections share their first 4 bytes: "playing" ~ "plays" */
	T_EQ_INT(check_text("{\"text\": \"Someone is playing loudly tonight.\"}", s, e, sizeof e), LLM_R_OK);
	/* short sentences have no word test: a swap may replace all of it */
	T_EQ_INT(check_text("{\"text\": \"a uniform\"}", "an article of clothing", e, sizeof e), LLM_R_OK);
	/* encoding: NUL, U+FFFD */
	T_EQ_INT(check_text("{\"text\": \"A woman\\u0000 plays a guitar on the stage.\"}", s, e, sizeof e),
	         LLM_R_ENCODING);
	T_EQ_STR(e, "text: contains a NUL character");
	T_EQ_INT(check_text("{\"text\": \"A woman \\ufffd plays a guitar on the stage.\"}", s, e, sizeof e),
	         LLM_R_ENCODING);
	T_EQ_INT(check_text("{\"text\": \"A woman \\ufffd plays a guitar on the stage.\"}",
	                    "A man \xef\xbf\xbd plays a guitar on the stage.", e, sizeof e), LLM_R_OK);
	/* bytes that are not UTF-8 become U+FFFD when jq reads them */
	T_EQ_INT(check_text("{\"text\": \"A woman \xff plays a guitar on the stage.\"}", s, e, sizeof e),
	         LLM_R_ENCODING);
	/* no anchor: the encoding alone */
	T_EQ_INT(check_text("{\"text\": \"anything\"}", NULL, e, sizeof e), LLM_R_OK);
	T_EQ_INT(check_text("{\"text\": 3}", NULL, e, sizeof e), LLM_R_SHAPE);
	/* through llm_extract with kgsynth's format: shape first, then these */
	llm_format f;
	T_EQ_INT(llm_format_init(&f, "text", LLM_SHAPE_TEXT, llm_check_text, e, sizeof e), 0);
	jv out;
	const char *c = "Sure: {\"text\": \"a man plays a guitar on the stage\"}";
	T_EQ_INT(llm_extract(c, strlen(c), &f, (void *)s, &out, e, sizeof e), LLM_R_COPY);
	c = "{\"text\": \"  \"}";
	T_EQ_INT(llm_extract(c, strlen(c), &f, (void *)s, &out, e, sizeof e), LLM_R_SHAPE);
	/* a lone surrogate is no JSON jq reads */
	c = "{\"text\": \"A woman \\ud800 plays a guitar on the stage.\"}";
	T_EQ_INT(llm_extract(c, strlen(c), &f, (void *)s, &out, e, sizeof e), LLM_R_BADJSON);
	llm_format_free(&f);
}

/* The schema sent as response_format is the checker's shape: what the
 * shape refuses, the schema refuses (a subset of JSON Schema checked here by
 * its keywords), and every key is required and nothing else allowed. */
static void test_shape_schema(void)
{
	char e[300];
	jv s = jv_parse(LLM_SHAPE_TEXT), sch = llm_shape_schema(s);
	char *d = jv_dump_string_trunc(jv_copy(sch), (char[400]){0}, 400);
	T_EQ_STR(d, "{\"type\":\"object\",\"properties\":{\"text\":{\"type\":\"string\",\"minLength\":1}},"
	            "\"required\":[\"text\"],\"additionalProperties\":false}");
	jv_free(s);
	jv_free(sch);
	s = jv_parse("{\"a?\":\"integer\",\"b\":\"number|string?\",\"c\":[\"count\"],\"d?\":{\"x\":\"any\"},"
	             "\"e\":\"nonempty?\",\"f\":[]}");
	sch = llm_shape_schema(s);
	d = jv_dump_string_trunc(jv_copy(sch), (char[1200]){0}, 1200);
	T_EQ_STR(d, "{\"type\":\"object\",\"properties\":{"
	            "\"a\":{\"type\":[\"integer\",\"null\"]},"
	            "\"b\":{\"anyOf\":[{\"anyOf\":[{\"type\":\"number\"},{\"type\":\"string\"}]},{\"type\":\"null\"}]},"
	            "\"c\":{\"type\":\"array\",\"items\":{\"type\":\"integer\",\"minimum\":0,\"maximum\":1000000000}},"
	            "\"d\":{\"anyOf\":[{\"type\":\"object\",\"properties\":{\"x\":{}},\"required\":[\"x\"],"
	            "\"additionalProperties\":false},{\"type\":\"null\"}]},"
	            "\"e\":{\"type\":[\"string\",\"null\"],\"minLength\":1},"
	            "\"f\":{\"type\":\"array\"}},"
	            "\"required\":[\"a\",\"b\",\"c\",\"d\",\"e\",\"f\"],\"additionalProperties\":false}");
	jv_free(s);
	jv_free(sch);
	/* a bad shape has no schema, and no format */
	s = jv_parse("{\"a\":\"float\"}");
	sch = llm_shape_schema(s);
	T_ASSERT(!jv_is_valid(sch));
	jv_free(sch);
	jv_free(s);
	llm_format f;
	T_EQ_INT(llm_format_init(&f, "x", "{\"a\":\"float\"}", NULL, e, sizeof e), -1);
	T_ASSERT(strstr(e, "bad answer shape"));
	T_EQ_INT(llm_format_init(&f, "x", "{not json", NULL, e, sizeof e), -1);
	/* the extraction shape: empty types and absurd counts refused */
	T_EQ_INT(llm_format_init(&f, "kgextract", LLM_SHAPE_KGEXTRACT, NULL, e, sizeof e), 0);
	jv a = jv_parse("{\"entities\":[],\"quantities\":[],\"parts\":{\"subject\":{\"text\":\"x\",\"type\":\"\"}}}");
	T_ASSERT(!llm_shape_check(a, f.shape, e, sizeof e));
	T_EQ_STR(e, "parts.subject.type: expected nonempty, got an empty string");
	jv_free(a);
	a = jv_parse("{\"entities\":[],\"quantities\":[],\"parts\":{\"subject\":{\"text\":\"x\",\"count\":-6915001281338784}}}");
	T_ASSERT(!llm_shape_check(a, f.shape, e, sizeof e));
	T_EQ_STR(e, "parts.subject.count: expected count, got number");
	jv_free(a);
	a = jv_parse("{\"entities\":[],\"quantities\":[],\"parts\":{\"subject\":{\"text\":\"x\",\"count\":3}}}");
	T_ASSERT(llm_shape_check(a, f.shape, e, sizeof e));
	jv_free(a);
	jv ps = jv_object_get(jv_object_get(jv_object_get(jv_object_get(jv_copy(f.schema), jv_string("properties")),
	                                                  jv_string("parts")), jv_string("properties")),
	                      jv_string("subject"));
	d = jv_dump_string_trunc(ps, (char[600]){0}, 600);
	T_EQ_STR(d, "{\"anyOf\":[{\"type\":\"object\",\"properties\":{\"text\":{\"type\":[\"string\",\"null\"]},"
	            "\"type\":{\"type\":[\"string\",\"null\"],\"minLength\":1},"
	            "\"count\":{\"type\":[\"integer\",\"null\"],\"minimum\":0,\"maximum\":1000000000}},"
	            "\"required\":[\"text\",\"type\",\"count\"],\"additionalProperties\":false},{\"type\":\"null\"}]}");
	llm_format_free(&f);
}

static void test_text_helpers(void)
{
	char *s = llm_one_line("  a\n\tb   c \r\n");
	T_EQ_STR(s, "a b c");
	free(s);
	size_t st, en;
	T_ASSERT(llm_locate("A man on skis and a man", "a man", 0, &st, &en));
	T_EQ_INT(st, 18);
	T_EQ_INT(en, 23);
	T_ASSERT(llm_locate("A man on skis", "a man", 0, &st, &en));   /* case-insensitive fallback */
	T_EQ_INT(st, 0);
	T_ASSERT(llm_locate("a man and a man", "a man", 1, &st, &en));
	T_EQ_INT(st, 10);
	T_ASSERT(!llm_locate("a man", "a woman", 0, &st, &en));
	T_ASSERT(!llm_locate("a man", "", 0, &st, &en));
	T_ASSERT(!llm_locate("a man", "man", 9, &st, &en));
}

/* ------------------------------------------------------------ cache */

static char tmpdir[256];

static void rm_rf(const char *path)
{
	char cmd[600];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", path);
}

static void test_cache_key(void)
{
	char k1[65], k2[65], k3[65], k4[65];
	llm_cache_key("m", "{\"a\":1}", 7, k1);
	/* = sha256("gcse-llm-cache 1\nm\n{\"a\":1}") as Python's hashlib computes it */
	T_EQ_STR(k1, "ce18b96922f7c4b9d849c1a1bd8506b8c8a0b3972d1a7a875dca20a65ff809a3");
	llm_cache_key("m2", "{\"a\":1}", 7, k2);
	llm_cache_key("m", "{\"a\":2}", 7, k3);
	llm_cache_key(NULL, "{\"a\":1}", 7, k4);
	T_ASSERT(strcmp(k1, k2) && strcmp(k1, k3) && strcmp(k1, k4) && strcmp(k2, k4));
	/* the model and the body cannot trade bytes */
	char a[65], b[65];
	llm_cache_key("ab", "c", 1, a);
	llm_cache_key("a", "bc", 2, b);
	T_ASSERT(strcmp(a, b));
}

static int count_files(const char *dir, const char *prefix)
{
	DIR *d = opendir(dir);
	if (!d)
		return -1;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		if (!strncmp(e->d_name, prefix, strlen(prefix)))
			n++;
	closedir(d);
	return n;
}

static void test_cache_roundtrip(void)
{
	char err[700], dir[300], key[65];
	snprintf(dir, sizeof dir, "%s/cache/deeper", tmpdir);
	llm_cache *c = llm_cache_open(dir, err, sizeof err);
	T_ASSERT(c);
	llm_cache_key("m", "body", 4, key);
	jv e;
	T_EQ_INT(llm_cache_get(c, key, &e, err, sizeof err), 0);
	jv entry = jv_object();
	entry = jv_object_set(entry, jv_string("format"), jv_string(LLM_CACHE_FORMAT));
	entry = jv_object_set(entry, jv_string("key"), jv_string(key));
	entry = jv_object_set(entry, jv_string("answer"), jv_parse("{\"text\":\"hi\"}"));
	T_EQ_INT(llm_cache_put(c, key, entry, err, sizeof err), 0);
	T_EQ_INT(llm_cache_get(c, key, &e, err, sizeof err), 1);
	jv t = jv_object_get(jv_object_get(e, jv_string("answer")), jv_string("text"));
	T_EQ_STR(jv_string_value(t), "hi");
	jv_free(t);
	/* plain, inspectable, no temporary file left */
	char *path = llm_cache_path(c, key);
	char sub[400];
	snprintf(sub, sizeof sub, "%s/%.2s", dir, key);
	T_EQ_INT(count_files(sub, "."), 2);   /* just "." and ".." */
	FILE *f = fopen(path, "r");
	T_ASSERT(f);
	char buf[400] = "";
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = 0;
	T_ASSERT(strstr(buf, "\"format\": \"gcse-llm-cache 1\""));
	/* a damaged file is reported, not trusted */
	f = fopen(path, "w");
	fputs("{\"format\": \"gcse-llm-cache 1\", \"key\": \"", f);
	fclose(f);
	T_EQ_INT(llm_cache_get(c, key, &e, err, sizeof err), -1);
	T_ASSERT(strstr(err, "not valid JSON"));
	/* a file under the wrong name */
	char other[65];
	llm_cache_key("m", "other", 5, other);
	entry = jv_object_set(jv_object(), jv_string("format"), jv_string(LLM_CACHE_FORMAT));
	entry = jv_object_set(entry, jv_string("key"), jv_string(key));
	entry = jv_object_set(entry, jv_string("answer"), jv_object());
	T_EQ_INT(llm_cache_put(c, other, entry, err, sizeof err), 0);
	T_EQ_INT(llm_cache_get(c, other, &e, err, sizeof err), -1);
	T_ASSERT(strstr(err, "does not match"));
	free(path);
	llm_cache_close(c);
	/* a file where the folder should be */
	snprintf(dir, sizeof dir, "%s/afile", tmpdir);
	f = fopen(dir, "w");
	fclose(f);
	T_ASSERT(!llm_cache_open(dir, err, sizeof err));
	T_ASSERT(strstr(err, "not a directory"));
}

/* ------------------------------------------------------------ retries */

static void test_backoff_schedule(void)
{
	for (int n = 1; n <= 12; n++) {
		double d = 0.5 * (double)(1 << (n - 1));
		if (d > 30)
			d = 30;
		T_NEAR(llm_backoff(n, 0.5, 30, 0), d / 2, 1e-12);
		T_NEAR(llm_backoff(n, 0.5, 30, 0.999999), d, 1e-6 * d);
		double m = llm_backoff(n, 0.5, 30, 0.5);
		T_ASSERT(m >= d / 2 && m <= d);
	}
	T_NEAR(llm_backoff(1000, 1, 60, 0), 30, 1e-12);   /* no overflow */
	T_NEAR(llm_backoff(0, 1, 60, 0), 0.5, 1e-12);
	T_NEAR(llm_backoff(3, 0, 60, 0.7), 0, 0);
}

static void test_retry_after(void)
{
	long now = (long)time(NULL);
	T_NEAR(llm_retry_after("5", now), 5, 0);
	T_NEAR(llm_retry_after(" 2 \r\n", now), 2, 0);
	T_NEAR(llm_retry_after("0", now), 0, 0);
	T_NEAR(llm_retry_after("soon", now), -1, 0);
	T_NEAR(llm_retry_after("", now), -1, 0);
	T_NEAR(llm_retry_after("-3", now), -1, 0);
	char date[64];
	time_t t = (time_t)now + 30;
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	T_NEAR(llm_retry_after(date, now), 30, 0);
	T_NEAR(llm_retry_after(date, now + 100), 0, 0);   /* in the past */
}

static void test_scrub(void)
{
	char s[200] = "Authorization: Bearer sekrit-123; again sekrit-123sekrit-123.";
	llm_scrub(s, "sekrit-123");
	T_EQ_STR(s, "Authorization: Bearer [key]; again [key][key].");
	char t[50] = "a ab abc";
	llm_scrub(t, "ab");
	T_EQ_STR(t, "a ** **c");
	char u[50] = "nothing";
	llm_scrub(u, NULL);
	llm_scrub(u, "");
	T_EQ_STR(u, "nothing");
}

static void test_endpoint(void)
{
	const char *p = "/v1/chat/completions";
	char *e;
	T_EQ_STR(e = llm_endpoint("http://h:8080", p), "http://h:8080/v1/chat/completions"); free(e);
	T_EQ_STR(e = llm_endpoint("http://h:8080/", p), "http://h:8080/v1/chat/completions"); free(e);
	T_EQ_STR(e = llm_endpoint("https://api.x.com/v1", p), "https://api.x.com/v1/chat/completions"); free(e);
	T_EQ_STR(e = llm_endpoint("http://h/v1/chat/completions", p), "http://h/v1/chat/completions"); free(e);
	T_EQ_STR(e = llm_endpoint("http://h/api", "/chat"), "http://h/api/chat"); free(e);
}

/* ------------------------------------------------------------ protocol */

static void test_parse_response(void)
{
	char *content = NULL, fin[32], err[300];
	size_t clen = 0;
	const char *ok = "{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":\"{\\\"text\\\":1}\"},"
	                 "\"finish_reason\":\"stop\"}]}";
	T_ASSERT(llm_parse_response(ok, strlen(ok), &content, &clen, fin, sizeof fin, err, sizeof err));
	T_EQ_STR(content, "{\"text\":1}");
	T_EQ_INT(clen, 10);
	T_EQ_STR(fin, "stop");
	free(content);
	/* a NUL character in the content keeps its place and the length */
	const char *z = "{\"choices\":[{\"message\":{\"content\":\"a\\u0000b\"}}]}";
	T_ASSERT(llm_parse_response(z, strlen(z), &content, &clen, fin, sizeof fin, err, sizeof err));
	T_EQ_INT(clen, 3);
	T_ASSERT(!memcmp(content, "a\0b", 4));
	free(content);
	const char *nul = "{\"choices\":[{\"message\":{\"content\":null},\"finish_reason\":\"length\"}]}";
	T_ASSERT(llm_parse_response(nul, strlen(nul), &content, &clen, fin, sizeof fin, err, sizeof err));
	T_EQ_STR(content, "");
	T_EQ_STR(fin, "length");
	free(content);
	const char *old = "{\"choices\":[{\"text\":\"hi\"}]}";
	T_ASSERT(llm_parse_response(old, strlen(old), &content, &clen, fin, sizeof fin, err, sizeof err));
	T_EQ_STR(content, "hi");
	free(content);
	const char *bad[] = {"{\"choices\": [", "[]", "{\"choices\":[]}", "{\"error\":{\"message\":\"boom\"}}",
	                     "{\"choices\":[{\"message\":{\"content\":3}}]}", ""};
	const char *why[] = {"not JSON", "not a JSON object", "no choices", "boom", "no message content", "not JSON"};
	for (int i = 0; i < 6; i++) {
		T_ASSERT(!llm_parse_response(bad[i], strlen(bad[i]), &content, &clen, fin, sizeof fin, err, sizeof err));
		if (!strstr(err, why[i]))
			T_FAIL("case %d: \"%s\" lacks \"%s\"", i, err, why[i]);
	}
}

static void test_server_message(void)
{
	char m[64];
	const char *a = "{\"error\":{\"message\":\"model 'x' not found\",\"type\":\"e\"}}";
	llm_server_message(a, strlen(a), m, sizeof m);
	T_EQ_STR(m, "model 'x' not found");
	const char *b = "{\"error\":\"bad\\nthing\"}";
	llm_server_message(b, strlen(b), m, sizeof m);
	T_EQ_STR(m, "bad thing");
	const char *c = "{\"detail\":[{\"loc\":1}]}";
	llm_server_message(c, strlen(c), m, sizeof m);
	T_EQ_STR(m, "[{\"loc\":1}]");
	const char *d = "<html>Bad Gateway</html>\n";
	llm_server_message(d, strlen(d), m, sizeof m);
	T_EQ_STR(m, "<html>Bad Gateway</html>");
	llm_server_message("", 0, m, sizeof m);
	T_EQ_STR(m, "(empty body)");
	char small[8];
	const char *e = "{\"message\":\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\"}";  /* éééé */
	llm_server_message(e, strlen(e), small, sizeof small);
	T_EQ_STR(small, "\xc3\xa9\xc3\xa9\xc3\xa9");   /* cut between characters */
}

static void test_request_body(void)
{
	llm_opts o;
	llm_opts_init(&o);
	jv msgs = jv_parse("[{\"role\":\"user\",\"content\":\"hi \\\"there\\\"\"}]");
	char *b = llm_request_body(&o, LLM_STRUCT_NONE, NULL, 0, msgs);
	T_EQ_STR(b, "{\"messages\":[{\"role\":\"user\",\"content\":\"hi \\\"there\\\"\"}],\"stream\":false}");
	free(b);
	char e[200];
	llm_format f;
	T_EQ_INT(llm_format_init(&f, "text", LLM_SHAPE_TEXT, NULL, e, sizeof e), 0);
	/* the default: the format's schema, the request's max_tokens, the seed */
	o.seed = 7;
	b = llm_request_body(&o, LLM_STRUCT_SCHEMA, &f, 128, msgs);
	T_EQ_STR(b, "{\"messages\":[{\"role\":\"user\",\"content\":\"hi \\\"there\\\"\"}],\"max_tokens\":128,\"seed\":7,"
	            "\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"text\",\"strict\":true,"
	            "\"schema\":{\"type\":\"object\",\"properties\":{\"text\":{\"type\":\"string\",\"minLength\":1}},"
	            "\"required\":[\"text\"],\"additionalProperties\":false}}},\"stream\":false}");
	free(b);
	o.model = "qwen2.5:7b";
	o.temperature = 0.7;
	o.top_p = 0.9;
	o.max_tokens = 256;              /* --max-tokens wins over the request's own */
	o.seed = 0x180000005LL;          /* the low 31 bits are sent */
	b = llm_request_body(&o, LLM_STRUCT_JSON, &f, 128, msgs);
	T_EQ_STR(b, "{\"model\":\"qwen2.5:7b\",\"messages\":[{\"role\":\"user\",\"content\":\"hi \\\"there\\\"\"}],"
	            "\"temperature\":0.7,\"top_p\":0.9,\"max_tokens\":256,\"seed\":5,"
	            "\"response_format\":{\"type\":\"json_object\"},\"stream\":false}");
	free(b);
	llm_format_free(&f);
	jv_free(msgs);
}

static void test_options(void)
{
	llm_opts o;
	llm_opts_init(&o);
	T_EQ_INT(llm_option(&o, "jobs", "8"), 1);
	T_EQ_INT(o.jobs, 8);
	T_EQ_INT(llm_option(&o, "temperature", "0.25"), 1);
	T_NEAR(o.temperature, 0.25, 0);
	T_EQ_INT(llm_option(&o, "on-invalid", "report"), 1);
	T_EQ_INT(o.on_invalid, LLM_REPORT);
	T_EQ_INT(o.structured, LLM_STRUCT_SCHEMA);
	T_EQ_INT(llm_option(&o, "json-mode", NULL), 1);
	T_EQ_INT(o.structured, LLM_STRUCT_JSON);
	T_EQ_INT(llm_option(&o, "structured", "none"), 1);
	T_EQ_INT(o.structured, LLM_STRUCT_NONE);
	T_EQ_INT(llm_option(&o, "retry-failed", NULL), 1);
	T_EQ_INT(o.retry_failed, 1);
	T_NEAR(o.record_timeout, 300, 0);
	T_EQ_INT(llm_option(&o, "record-timeout", "2.5"), 1);
	T_NEAR(o.record_timeout, 2.5, 0);
	T_EQ_INT(llm_option(&o, "threads", "2"), 0);
	T_EQ_INT(llm_getopt(&o, 'q', NULL), 0);
	T_EQ_INT(llm_getopt(&o, LLM_OPT_URL, "http://x"), 1);
	T_EQ_STR(o.url, "http://x");
	T_ASSERT(o.given & (1u << (LLM_OPT_JOBS - LLM_OPT_URL)));
	T_ASSERT(!(o.given & (1u << (LLM_OPT_CACHE - LLM_OPT_URL))));
	/* every option in the getopt table is in the help text */
	static const struct option lo[] = {LLM_LONG_OPTIONS};
	for (size_t i = 0; i < sizeof lo / sizeof *lo; i++) {
		char want[64];
		snprintf(want, sizeof want, "--%s ", lo[i].name);
		if (!strstr(LLM_OPTIONS_HELP, want))
			T_FAIL("--%s is not in LLM_OPTIONS_HELP", lo[i].name);
		T_EQ_INT(lo[i].val, LLM_OPT_URL + (int)i);
	}
}

/* ------------------------------------------------------------ prompts */

static void test_prompt_parse(void)
{
	char err[300];
	prompt *p = prompt_parse("A comment for people.\n{{not sent}}\n[system]\nBe brief.\n\n[user]\n"
	                         "Sentence: {{text|json}}\nStyle: {{ style }}.\n\n", "x.txt", err, sizeof err);
	T_ASSERT(p);
	T_EQ_STR(p->system, "Be brief.");
	T_EQ_STR(p->user, "Sentence: {{text|json}}\nStyle: {{ style }}.");
	const char *ok[] = {"text", "style", NULL};
	T_ASSERT(prompt_check(p, ok, err, sizeof err));
	const char *few[] = {"text", NULL};
	T_ASSERT(!prompt_check(p, few, err, sizeof err));
	T_EQ_STR(err, "x.txt: unknown placeholder {{style}} (known: text)");
	const char *vars[] = {"text", "He said \"hi\"\n", "style", "casual", NULL};
	jv m = prompt_messages(p, vars, err, sizeof err);
	T_ASSERT(jv_is_valid(m));
	char *d = jv_dump_string_trunc(jv_copy(m), (char[400]){0}, 400);
	T_EQ_STR(d, "[{\"role\":\"system\",\"content\":\"Be brief.\"},{\"role\":\"user\",\"content\":"
	            "\"Sentence: \\\"He said \\\\\\\"hi\\\\\\\"\\\\n\\\"\\nStyle: casual.\"}]");
	jv_free(m);
	const char *missing[] = {"text", "x", NULL};
	m = prompt_messages(p, missing, err, sizeof err);
	T_ASSERT(!jv_is_valid(m));
	T_EQ_STR(err, "x.txt: no value for placeholder {{style}}");
	prompt_free(p);
	/* no section lines: all of it is the user message */
	p = prompt_parse("\nJust {{text}}.\n", "y.txt", err, sizeof err);
	T_ASSERT(p && !p->system);
	T_EQ_STR(p->user, "Just {{text}}.");
	prompt_free(p);
	T_ASSERT(!prompt_parse("[system]\nonly a system part\n", "z.txt", err, sizeof err));
	T_EQ_STR(err, "z.txt: no user message (a [user] part is needed)");
	T_ASSERT(!prompt_parse("[user]\na\n[user]\nb\n", "w.txt", err, sizeof err));
	T_ASSERT(strstr(err, "more than one [user]"));
}

static void test_prompt_fill(void)
{
	char err[200];
	const char *v[] = {"a", "1", "b", "{{a}}", NULL};
	char *s = prompt_fill("x {{a}} {{b}} {{ a |json}} {\"k\": {\"j\": 2}} {{not closed {{-}}", v, err, sizeof err);
	T_ASSERT(s);
	/* values are not scanned again; braces that are no placeholder stay */
	T_EQ_STR(s, "x 1 {{a}} \"1\" {\"k\": {\"j\": 2}} {{not closed {{-}}");
	free(s);
	s = prompt_fill("{{c}}", v, err, sizeof err);
	T_ASSERT(!s);
	T_EQ_STR(err, "no value for placeholder {{c}}");
}

static void test_prompt_files_and_dirs(void)
{
	char err[600];
	T_ASSERT(!prompt_load(tmpdir, "nope", err, sizeof err));
	char want[400];
	snprintf(want, sizeof want, "%s/nope.txt: No such file or directory", tmpdir);
	T_EQ_STR(err, want);
	T_ASSERT(!prompts_dir("/nonexistent/dir", err, sizeof err));
	T_EQ_STR(err, "--prompts /nonexistent/dir: not a directory");
	char *d = prompts_dir(tmpdir, err, sizeof err);
	T_EQ_STR(d, tmpdir);
	free(d);
	setenv("GCSE_PROMPTS", tmpdir, 1);
	d = prompts_dir(NULL, err, sizeof err);
	T_EQ_STR(d, tmpdir);
	free(d);
	setenv("GCSE_PROMPTS", "/nonexistent/p", 1);
	T_ASSERT(!prompts_dir(NULL, err, sizeof err));
	T_ASSERT(strstr(err, "GCSE_PROMPTS=/nonexistent/p"));
	unsetenv("GCSE_PROMPTS");
}

/* The shipped prompts: each loads, has a user part, uses only the
 * placeholders its program fills, and asks for JSON. */
static void test_shipped_prompts(void)
{
	const char *root = getenv("GCSE_ROOT");
	char dir[600], err[600];
	snprintf(dir, sizeof dir, "%s/prompts", root ? root : ".");
	struct stat st;
	if (stat(dir, &st))
		T_SKIP("no prompts/ folder here (run from the repository root)");
	static const struct { const char *name; const char *vars[5]; const char *asks; } want[] = {
		{"reask", {"error"}, "JSON"},
		{"kgextract", {"text", "types"}, "\"entities\""},
		{"kgsynth-rewrite", {"text", "style"}, "{\"text\":"},
		{"kgsynth-related", {"text", "old", "new"}, "{\"text\":"},
		{"kgsynth-contradict", {"text", "style"}, "{\"text\":"},
		{"kgsynth-swap", {"text", "old", "new"}, "{\"text\":"},
		{"kgsynth-quantity", {"text", "subject", "count"}, "{\"text\":"},
	};
	for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
		prompt *p = prompt_load(dir, want[i].name, err, sizeof err);
		if (!p)
			T_FAIL("%s", err);
		if (!prompt_check(p, want[i].vars, err, sizeof err))
			T_FAIL("%s", err);
		if (!strstr(p->user, want[i].asks))
			T_FAIL("%s: the user part does not ask for %s", want[i].name, want[i].asks);
		/* every listed placeholder is used (a missing one would be a silent gap) */
		for (int k = 0; want[i].vars[k]; k++) {
			char ph[64], phj[64];
			snprintf(ph, sizeof ph, "{{%s}}", want[i].vars[k]);
			snprintf(phj, sizeof phj, "{{%s|json}}", want[i].vars[k]);
			if (!strstr(p->user, ph) && !strstr(p->user, phj))
				T_FAIL("%s: does not use %s", want[i].name, ph);
		}
		prompt_free(p);
	}
}

int main(void)
{
	snprintf(tmpdir, sizeof tmpdir, "/tmp/test_llm.XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	char ferr[200];
	if (llm_format_init(&text_fmt, "text", "{\"text\": \"nonempty\"}", NULL, ferr, sizeof ferr)) {
		fprintf(stderr, "%s\n", ferr);
		return 1;
	}
	T_RUN(test_sha256_vectors);
	T_RUN(test_sha256_block_edges);
	T_RUN(test_extract_plain_and_wrapped);
	T_RUN(test_extract_think_blocks);
	T_RUN(test_extract_braces_in_strings);
	T_RUN(test_extract_multiple_objects);
	T_RUN(test_extract_failures);
	T_RUN(test_extract_pathological);
	T_RUN(test_extract_too_long);
	T_RUN(test_shape_check);
	T_RUN(test_stock_shapes);
	T_RUN(test_check_text);
	T_RUN(test_shape_schema);
	T_RUN(test_text_helpers);
	T_RUN(test_cache_key);
	T_RUN(test_cache_roundtrip);
	T_RUN(test_backoff_schedule);
	T_RUN(test_retry_after);
	T_RUN(test_scrub);
	T_RUN(test_endpoint);
	T_RUN(test_parse_response);
	T_RUN(test_server_message);
	T_RUN(test_request_body);
	T_RUN(test_options);
	T_RUN(test_prompt_parse);
	T_RUN(test_prompt_fill);
	T_RUN(test_prompt_files_and_dirs);
	T_RUN(test_shipped_prompts);
	T_RUN(test_nul_answers);
	llm_format_free(&text_fmt);
	rm_rf(tmpdir);
	return t_done();
}
