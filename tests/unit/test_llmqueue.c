/* test_llmqueue.c — the ordered queue of records waiting for LLM answers:
 * records leave in input order, only from the head, only when ready. */
#include <stddef.h>

#include "llm/llmqueue.h"
#include "t.h"

typedef struct item {
	llm_qnode q;               /* first member, as llmqueue.h asks */
	int id;
} item;

static int pop_id(llm_queue *q)
{
	llm_qnode *n = llm_queue_pop_ready(q);
	return n ? ((item *)n)->id : -1;
}

static void test_empty(void)
{
	llm_queue q = {0};
	T_ASSERT(llm_queue_pop_ready(&q) == NULL);
	T_ASSERT(q.head == NULL && q.tail == NULL);
}

/* answers arriving out of order: nothing leaves before the head is ready,
 * then everything ready behind it leaves in input order */
static void test_order(void)
{
	llm_queue q = {0};
	item it[4];
	for (int i = 0; i < 4; i++) {
		it[i].id = i;
		it[i].q.pending = i == 3 ? 0 : 2;
		it[i].q.next = &it[0].q;           /* garbage the push must reset */
		llm_queue_push(&q, &it[i].q);
	}
	T_EQ_INT(pop_id(&q), -1);
	it[2].q.pending = 0;
	it[1].q.pending -= 2;
	T_EQ_INT(pop_id(&q), -1);                  /* the head still waits */
	it[0].q.pending--;
	T_EQ_INT(pop_id(&q), -1);
	it[0].q.pending--;
	T_EQ_INT(pop_id(&q), 0);
	T_EQ_INT(pop_id(&q), 1);
	T_EQ_INT(pop_id(&q), 2);
	T_EQ_INT(pop_id(&q), 3);
	T_EQ_INT(pop_id(&q), -1);
	T_ASSERT(q.head == NULL && q.tail == NULL);
	/* reusable once drained: the tail was reset with the head */
	it[1].q.pending = 0;
	llm_queue_push(&q, &it[1].q);
	T_ASSERT(q.head == &it[1].q && q.tail == &it[1].q);
	T_EQ_INT(pop_id(&q), 1);
}

/* a record with nothing to ask (blank text) is ready at once but still
 * waits for the records before it */
static void test_ready_behind_waiting(void)
{
	llm_queue q = {0};
	item a = {.id = 7}, b = {.id = 8};
	a.q.pending = 1;
	b.q.pending = 0;
	llm_queue_push(&q, &a.q);
	llm_queue_push(&q, &b.q);
	T_EQ_INT(pop_id(&q), -1);
	a.q.pending = 0;
	T_EQ_INT(pop_id(&q), 7);
	T_EQ_INT(pop_id(&q), 8);
}

/* llm_queue_flush: every ready record from the head, in order, and no
 * further than the first that waits */
static int seen[8], nseen;
static void out_id(void *ctx, llm_qnode *n)
{
	T_ASSERT(ctx == (void *)seen);
	T_ASSERT(n->next == NULL);                 /* unlinked before out sees it */
	seen[nseen++] = ((item *)n)->id;
}

static void test_flush(void)
{
	llm_queue q = {0};
	item it[4];
	for (int i = 0; i < 4; i++) {
		it[i] = (item){.id = 10 + i};
		it[i].q.pending = i == 2;              /* the third still waits */
		llm_queue_push(&q, &it[i].q);
	}
	llm_queue_flush(&q, out_id, seen);
	T_EQ_INT(nseen, 2);
	T_EQ_INT(seen[0], 10);
	T_EQ_INT(seen[1], 11);
	T_ASSERT(q.head == &it[2].q);
	llm_queue_flush(&q, out_id, seen);         /* the head waits: nothing */
	T_EQ_INT(nseen, 2);
	it[2].q.pending = 0;
	llm_queue_flush(&q, out_id, seen);
	T_EQ_INT(nseen, 4);
	T_EQ_INT(seen[2], 12);
	T_EQ_INT(seen[3], 13);
	T_ASSERT(q.head == NULL && q.tail == NULL);
	llm_queue_flush(&q, out_id, seen);         /* empty: nothing */
	T_EQ_INT(nseen, 4);
}

int main(void)
{
	T_RUN(test_empty);
	T_RUN(test_order);
	T_RUN(test_ready_behind_waiting);
	T_RUN(test_flush);
	return t_done();
}
