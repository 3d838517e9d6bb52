/* fuzz_safetensors.c — deterministic mutation fuzzer for the safetensors reader.
 *
 *   fuzz_safetensors [ITERATIONS [SEED]]      (default 20000, 1)
 *
 * Starts from valid files (written by st_write), mutates them (bit flips,
 * byte changes, truncation, growth, JSON token splices, edits of the header
 * length) and parses each result from an exactly sized heap buffer, so that
 * AddressSanitizer sees any read out of bounds. Every accepted file is checked
 * against the format's invariants and all its tensors are converted. A run
 * prints a summary; exit status 1 when an invariant fails. */
#include "nn/safetensors.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* libjq 1.6's parser leaks a string on some invalid inputs (two values in
 * a row, e.g. {"a""b"}); under LeakSanitizer, ignore leaks from inside
 * libjq so that ours still show. Unused without sanitizers. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:libjq.so.1\n";
}
const char *__lsan_default_options(void);
const char *__lsan_default_options(void)
{
	return "print_suppressions=0";
}

static uint64_t rng_state;

static uint64_t rnd(void)
{
	uint64_t x = rng_state;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng_state = x;
	return x * 0x2545f4914f6cdd1dULL;
}

static size_t below(size_t n) { return n ? (size_t)(rnd() % n) : 0; }

typedef struct buf {
	unsigned char *p;
	size_t n;
} buf;

static buf read_file(const char *path)
{
	buf b = {0};
	FILE *f = fopen(path, "rb");
	if (!f) {
		perror(path);
		exit(2);
	}
	fseek(f, 0, SEEK_END);
	b.n = (size_t)ftell(f);
	fseek(f, 0, SEEK_SET);
	b.p = malloc(b.n);
	if (fread(b.p, 1, b.n, f) != b.n)
		exit(2);
	fclose(f);
	return b;
}

static const char *tokens[] = {
	"{", "}", "[", "]", ",", ":", "\"", "0", "1", "-1", "4", "8", "1e300", "nan",
	"18446744073709551616", "9007199254740993", "4294967296", "\"F16\"", "\"BF16\"",
	"\"F32\"", "\"I64\"", "\"BOOL\"", "\"X\"", "\"dtype\"", "\"shape\"", "\"data_offsets\"",
	"\"__metadata__\"", "\"a\"", "\\u0000", "\\", "null", "true", "[0,0]", "[]", "{}", " ",
};

/* One random mutation of b (in a new exactly sized allocation). */
static buf mutate(buf src)
{
	buf b = {malloc(src.n + 64), src.n};
	memcpy(b.p, src.p, src.n);
	size_t hl = 0;
	for (int i = 7; i >= 0 && b.n >= 8; i--)
		hl = hl << 8 | b.p[i];
	size_t hend = b.n >= 8 && hl <= b.n - 8 ? 8 + hl : b.n;
	int nmut = 1 + (int)below(3);
	for (int m = 0; m < nmut; m++) {
		if (hend > b.n)
			hend = b.n;
		switch (below(9)) {
		case 0:         /* flip a bit anywhere */
			if (b.n)
				b.p[below(b.n)] ^= (unsigned char)(1u << below(8));
			break;
		case 1:         /* random byte in the header */
			if (hend > 8)
				b.p[8 + below(hend - 8)] = (unsigned char)rnd();
			break;
		case 2:         /* truncate */
			b.n = below(b.n + 1);
			break;
		case 3: {       /* grow by a few bytes (b.p always has 64 spare) */
			size_t k = 1 + below(16);
			for (size_t i = 0; i < k; i++)
				b.p[b.n + i] = (unsigned char)rnd();
			b.n += k;
			break;
		}
		case 4: {       /* header length field: small change or hostile value */
			if (b.n < 8)
				break;
			uint64_t v = hl;
			switch (below(4)) {
			case 0: v += 1 + below(8); break;
			case 1: v -= 1 + below(8); break;
			case 2: v = rnd(); break;
			default: v = b.n - 8 + below(3); break;
			}
			for (int i = 0; i < 8; i++)
				b.p[i] = (unsigned char)(v >> (8 * i));
			break;
		}
		case 5:
		case 6: {       /* splice a JSON token over some header bytes */
			if (hend <= 9)
				break;
			const char *t = tokens[below(sizeof tokens / sizeof *tokens)];
			size_t tl = strlen(t), at = 8 + below(hend - 8), del = below(4);
			if (at + del > b.n)
				del = b.n - at;
			unsigned char *q = malloc(b.n - del + tl + 64);
			memcpy(q, b.p, at);
			memcpy(q + at, t, tl);
			memcpy(q + at + tl, b.p + at + del, b.n - at - del);
			free(b.p);
			b.p = q;
			b.n = b.n - del + tl;
			break;
		}
		case 7: {       /* change one digit in the header */
			if (hend <= 8)
				break;
			size_t at = 8 + below(hend - 8);
			for (size_t i = 0; i < hend - 8; i++, at = at + 1 < hend ? at + 1 : 8)
				if (b.p[at] >= '0' && b.p[at] <= '9') {
					b.p[at] = (unsigned char)('0' + below(10));
					break;
				}
			break;
		}
		default: {      /* swap two header bytes */
			if (hend <= 9)
				break;
			size_t i = 8 + below(hend - 8), j = 8 + below(hend - 8);
			unsigned char c = b.p[i];
			b.p[i] = b.p[j];
			b.p[j] = c;
			break;
		}
		}
	}
	/* exactly sized copy so that any overread is caught */
	buf out = {malloc(b.n ? b.n : 1), b.n};
	memcpy(out.p, b.p, b.n);
	free(b.p);
	return out;
}

static int verify(const st_file *f, size_t len)
{
	if (f->data_len > len)
		return 0;
	for (int i = 0; i < f->ntensors; i++) {
		const st_tensor *t = &f->tensors[i];
		size_t n = 1;
		for (int d = 0; d < t->ndim; d++)
			n *= (size_t)t->shape[d];
		if (n != t->numel || t->begin > t->end || t->end > f->data_len ||
		    t->end - t->begin != t->numel * st_dtype_size(t->dtype))
			return 0;
		for (int j = 0; j < i; j++) {
			const st_tensor *u = &f->tensors[j];
			if (!strcmp(t->name, u->name))
				return 0;
			if (t->begin < t->end && u->begin < u->end && t->begin < u->end && u->begin < t->end)
				return 0;
		}
		if (t->numel > (1u << 20))
			continue;
		char err[256];
		if (t->dtype == ST_F32 || t->dtype == ST_F16 || t->dtype == ST_BF16 || t->dtype == ST_F64) {
			float *o = malloc((t->numel ? t->numel : 1) * sizeof *o);
			int ok = st_to_f32(f, t, o, err, sizeof err) == 0;
			free(o);
			if (!ok)
				return 0;
		} else {
			int64_t *o = malloc((t->numel ? t->numel : 1) * sizeof *o);
			st_to_i64(f, t, o, err, sizeof err);       /* may refuse U64 > INT64_MAX */
			free(o);
		}
	}
	return 1;
}

int main(int argc, char **argv)
{
	long iters = argc > 1 ? strtol(argv[1], NULL, 10) : 20000;
	rng_state = argc > 2 ? strtoull(argv[2], NULL, 10) * 0x9e3779b97f4a7c15ULL + 1 : 88172645463325252ULL;

	char dir[] = "/tmp/fuzz_safetensors.XXXXXX";
	if (!mkdtemp(dir))
		return 2;
	char path[4][64], err[256];
	float w[12];
	int64_t ids[4] = {1, 2, 3, -4};
	uint16_t h[6] = {0x3c00, 0x0001, 0x7c00, 0xfc00, 0x7e00, 0x8000};
	for (int i = 0; i < 12; i++)
		w[i] = (float)i - 5.5f;
	int64_t s34[2] = {3, 4}, s4[1] = {4}, s6[1] = {6}, s23[2] = {2, 3}, s0[1] = {0};
	st_out a[] = {{"embeddings.word_embeddings.weight", ST_F32, 2, s34, w},
	              {"ids", ST_I64, 1, s4, ids}, {"h", ST_F16, 1, s6, h}, {"b", ST_BF16, 2, s23, h},
	              {"z", ST_F32, 1, s0, NULL}};
	const char *meta[] = {"format", "pt", NULL};
	snprintf(path[0], sizeof path[0], "%s/a", dir);
	snprintf(path[1], sizeof path[1], "%s/b", dir);
	snprintf(path[2], sizeof path[2], "%s/c", dir);
	snprintf(path[3], sizeof path[3], "%s/d", dir);
	if (st_write(path[0], a, 5, meta, err, sizeof err) || st_write(path[1], a, 1, NULL, err, sizeof err) ||
	    st_write(path[2], a + 1, 3, meta, err, sizeof err)) {
		fprintf(stderr, "fuzz_safetensors: %s\n", err);
		return 2;
	}
	buf seeds[3] = {read_file(path[0]), read_file(path[1]), read_file(path[2])};
	long accepted = 0, rejected = 0, bad = 0;
	for (long it = 0; it < iters; it++) {
		buf m = mutate(seeds[below(3)]);
		st_file *f;
		if (it % 200 == 0) {            /* now and then through a real file */
			FILE *o = fopen(path[3], "wb");
			if (!o || fwrite(m.p, 1, m.n, o) != m.n || fclose(o))
				return 2;
			f = st_open(path[3], err, sizeof err);
		} else
			f = st_open_mem(m.p, m.n, err, sizeof err);
		if (f) {
			accepted++;
			if (!verify(f, m.n)) {
				bad++;
				fprintf(stderr, "fuzz_safetensors: iteration %ld: accepted file breaks an invariant\n", it);
			}
			st_close(f);
		} else {
			rejected++;
			if (!err[0]) {
				bad++;
				fprintf(stderr, "fuzz_safetensors: iteration %ld: rejected without a message\n", it);
			}
		}
		free(m.p);
	}
	for (int i = 0; i < 3; i++)
		free(seeds[i].p);
	for (int i = 0; i < 4; i++)
		unlink(path[i]);
	rmdir(dir);
	printf("%ld iterations: %ld accepted, %ld rejected, %ld broken invariants\n", iters, accepted,
	       rejected, bad);
	return bad ? 1 : 0;
}
