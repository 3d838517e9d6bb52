/* test_rng.c — xoshiro256** / splitmix64 against their published outputs,
 * savable state, distributions, shuffling, counter-based draws. */
#include "base/rng.h"
#include "t.h"

/* First outputs of xoshiro256** from the state {1, 2, 3, 4}, as published
 * with the reference implementation's test vectors (e.g. rand_xoshiro). */
static void test_xoshiro_known_answer(void)
{
	static const uint64_t want[10] = {
		11520ULL, 0ULL, 1509978240ULL, 1215971899390074240ULL, 1216172134540287360ULL,
		607988272756665600ULL, 16172922978634559625ULL, 8476171486693032832ULL,
		10595114339597558777ULL, 2904607092377533576ULL };
	rng r;
	uint64_t s[4] = { 1, 2, 3, 4 };
	T_ASSERT(rng_set_state(&r, s) == 0);
	for (int i = 0; i < 10; i++)
		T_ASSERT(rng_next(&r) == want[i]);
}

/* splitmix64 from seed 0: first output 0xe220a8397b1dcdaf (Vigna's reference). */
static void test_splitmix_known_answer(void)
{
	T_ASSERT(rng_at(0, 0) == 0xe220a8397b1dcdafULL);
	rng r;
	rng_seed(&r, 0);
	T_ASSERT(r.s[0] == 0xe220a8397b1dcdafULL);
	T_ASSERT(r.s[1] == rng_at(0, 1));
}

static void test_seed_and_state(void)
{
	rng a, b, c;
	rng_seed(&a, 42);
	rng_seed(&b, 42);
	rng_seed(&c, 43);
	int same = 1, differ = 0;
	for (int i = 0; i < 100; i++) {
		uint64_t x = rng_next(&a), y = rng_next(&b), z = rng_next(&c);
		same &= x == y;
		differ += x != z;
	}
	T_ASSERT(same);
	T_ASSERT(differ == 100);
	/* save, draw, restore, draw again: the same numbers (checkpoint resume) */
	uint64_t saved[4], first[50];
	memcpy(saved, a.s, sizeof saved);
	for (int i = 0; i < 50; i++)
		first[i] = rng_next(&a);
	rng d;
	T_ASSERT(rng_set_state(&d, saved) == 0);
	for (int i = 0; i < 50; i++)
		T_ASSERT(rng_next(&d) == first[i]);
	uint64_t zero[4] = { 0, 0, 0, 0 };
	T_ASSERT(rng_set_state(&d, zero));
	T_ASSERT(rng_next(&d) == rng_next(&a));   /* d untouched by the refusal */
}

static void test_uniform_and_below(void)
{
	rng r;
	rng_seed(&r, 1);
	const int n = 100000;
	double s = 0, sd = 0;
	int count[7] = { 0 };
	for (int i = 0; i < n; i++) {
		float u = rng_uniform(&r);
		double v = rng_uniform_double(&r);
		T_ASSERT(u >= 0 && u < 1 && v >= 0 && v < 1);
		s += u;
		sd += v;
		uint64_t k = rng_below(&r, 7);
		T_ASSERT(k < 7);
		count[k]++;
	}
	T_NEAR(s / n, 0.5, 0.005);
	T_NEAR(sd / n, 0.5, 0.005);
	/* chi-square with 6 degrees of freedom: 30 is far beyond p = 1e-4 */
	double chi = 0, e = n / 7.0;
	for (int k = 0; k < 7; k++)
		chi += (count[k] - e) * (count[k] - e) / e;
	T_ASSERT(chi < 30);
	T_ASSERT(rng_below(&r, 1) == 0);
	/* a huge bound: still below it */
	for (int i = 0; i < 1000; i++)
		T_ASSERT(rng_below(&r, (1ULL << 63) + 12345) < (1ULL << 63) + 12345);
}

static void test_normal(void)
{
	rng r;
	rng_seed(&r, 2);
	const int n = 100000;
	double s = 0, ss = 0, s4 = 0;
	for (int i = 0; i < n; i++) {
		double z = rng_normal(&r);
		T_ASSERT(isfinite(z));
		s += z;
		ss += z * z;
		s4 += z * z * z * z;
	}
	T_NEAR(s / n, 0.0, 0.02);
	T_NEAR(ss / n, 1.0, 0.03);
	T_NEAR(s4 / n, 3.0, 0.15);   /* Gaussian kurtosis */
	float *x = malloc(n * sizeof *x);
	rng_fill_normal(&r, x, (size_t)n - 1, 1.5f, 0.02f);   /* odd count */
	s = ss = 0;
	for (int i = 0; i < n - 1; i++) {
		s += x[i];
		ss += (x[i] - 1.5) * (x[i] - 1.5);
	}
	T_NEAR(s / (n - 1), 1.5, 0.001);
	T_NEAR(sqrt(ss / (n - 1)), 0.02, 0.0005);
	free(x);
	/* counter-based normals */
	s = ss = 0;
	for (int i = 0; i < n; i++) {
		double z = rng_normal_at(777, (uint64_t)i);
		s += z;
		ss += z * z;
	}
	T_NEAR(s / n, 0.0, 0.02);
	T_NEAR(ss / n, 1.0, 0.03);
	T_ASSERT(rng_normal_at(777, 5) == rng_normal_at(777, 5));
	T_ASSERT(rng_normal_at(777, 5) != rng_normal_at(778, 5));
}

static void test_shuffle(void)
{
	rng r;
	rng_seed(&r, 3);
	int64_t p[1000];
	rng_permutation(&r, p, 1000);
	char seen[1000] = { 0 };
	int moved = 0;
	for (int i = 0; i < 1000; i++) {
		T_ASSERT(p[i] >= 0 && p[i] < 1000 && !seen[p[i]]);
		seen[p[i]] = 1;
		moved += p[i] != i;
	}
	T_ASSERT(moved > 900);
	/* the same seed gives the same order */
	rng r2;
	rng_seed(&r2, 3);
	int64_t q[1000];
	rng_permutation(&r2, q, 1000);
	T_ASSERT(!memcmp(p, q, sizeof p));
	/* all 6 orders of 3 elements, each about 1/6 of the time */
	int count[6] = { 0 };
	for (int t = 0; t < 6000; t++) {
		int v[3] = { 0, 1, 2 };
		rng_shuffle(&r, v, 3, sizeof *v);
		count[v[0] * 2 + (v[1] > v[2])]++;
	}
	for (int k = 0; k < 6; k++)
		T_ASSERT(count[k] > 850 && count[k] < 1150);
	/* other element sizes, n 0 and 1 */
	char c[5] = "abcd";
	rng_shuffle(&r, c, 4, 1);
	T_ASSERT(strchr(c, 'a') && strchr(c, 'b') && strchr(c, 'c') && strchr(c, 'd'));
	rng_shuffle(&r, c, 0, 1);
	rng_shuffle(&r, c, 1, 1);
	/* elements bigger than the swap buffer */
	static int big[4][100];
	for (int i = 0; i < 4; i++)
		for (int j = 0; j < 100; j++)
			big[i][j] = i * 1000 + j;
	rng_shuffle(&r, big, 4, sizeof big[0]);
	int seen4 = 0;
	for (int i = 0; i < 4; i++) {
		int who = big[i][0] / 1000;
		seen4 |= 1 << who;
		for (int j = 0; j < 100; j++)
			T_ASSERT(big[i][j] == who * 1000 + j);
	}
	T_EQ_INT(seen4, 15);
}

static void test_jump_and_derive(void)
{
	rng a, b;
	rng_seed(&a, 9);
	b = a;
	rng_jump(&b);
	int differ = 0;
	for (int i = 0; i < 64; i++)
		differ += rng_next(&a) != rng_next(&b);
	T_ASSERT(differ == 64);
	rng c;
	rng_seed(&c, 9);
	rng_jump(&c);
	rng_seed(&b, 9);
	rng_jump(&b);
	T_ASSERT(!memcmp(b.s, c.s, sizeof b.s));
	T_ASSERT(rng_derive(1, 2) == rng_derive(1, 2));
	T_ASSERT(rng_derive(1, 2) != rng_derive(2, 1));
	T_ASSERT(rng_derive(1, 2) != rng_derive(1, 3));
	/* counter-based uniforms: mean 1/2 */
	double s = 0;
	for (int i = 0; i < 100000; i++) {
		float u = rng_uniform_at(rng_derive(5, 6), (uint64_t)i);
		T_ASSERT(u >= 0 && u < 1);
		s += u;
	}
	T_NEAR(s / 100000, 0.5, 0.005);
}

int main(void)
{
	T_RUN(test_xoshiro_known_answer);
	T_RUN(test_splitmix_known_answer);
	T_RUN(test_seed_and_state);
	T_RUN(test_uniform_and_below);
	T_RUN(test_normal);
	T_RUN(test_shuffle);
	T_RUN(test_jump_and_derive);
	return t_done();
}
