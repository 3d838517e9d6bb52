/* llmqueue.h — records that wait for LLM answers, written in input order
 * (kgextract, kgsynth). Answers come back in any order; a record leaves the
 * queue only when it is at the head and has no answer outstanding, so the
 * output keeps the input's order whatever the server does.
 *
 * Intrusive: a program's record struct has an llm_qnode as its FIRST member
 * and casts the node it gets back. The queue owns nothing: the caller pushes
 * records it allocated and frees the ones it pops. pending is the caller's
 * count of answers still on their way (0: ready). */
#ifndef GCSE_LLMQUEUE_H
#define GCSE_LLMQUEUE_H

typedef struct llm_qnode {
	struct llm_qnode *next;
	int pending;               /* answers still outstanding; 0 = ready */
} llm_qnode;

typedef struct llm_queue {
	llm_qnode *head, *tail;    /* both NULL when empty */
} llm_queue;

/* Append n at the tail (n->next is reset; n->pending is left as set). */
void llm_queue_push(llm_queue *q, llm_qnode *n);

/* The head, unlinked, if it is ready (pending == 0); NULL when the queue is
 * empty or its head still waits (records behind it wait with it). */
llm_qnode *llm_queue_pop_ready(llm_queue *q);

/* Every ready record from the head, in order, handed to out (which writes
 * and frees it), until the queue is empty or its head still waits. */
void llm_queue_flush(llm_queue *q, void (*out)(void *ctx, llm_qnode *n), void *ctx);

#endif
