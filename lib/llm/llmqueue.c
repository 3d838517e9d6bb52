/* llmqueue.c — the ordered queue of records waiting for LLM answers
 * (llmqueue.h). */
#include <stddef.h>

#include "llm/llmqueue.h"

void llm_queue_push(llm_queue *q, llm_qnode *n)
{
	n->next = NULL;
	if (q->tail)
		q->tail->next = n;
	else
		q->head = n;
	q->tail = n;
}

llm_qnode *llm_queue_pop_ready(llm_queue *q)
{
	llm_qnode *n = q->head;
	if (!n || n->pending != 0)
		return NULL;
	q->head = n->next;
	if (!q->head)
		q->tail = NULL;
	n->next = NULL;
	return n;
}

void llm_queue_flush(llm_queue *q, void (*out)(void *ctx, llm_qnode *n), void *ctx)
{
	llm_qnode *n;
	while ((n = llm_queue_pop_ready(q)))
		out(ctx, n);
}
