/**
 * DynamoDB writes per event, counted (issue 17, item 1): a counting middleware on the processor's own
 * document client counts every PutItem/UpdateItem/DeleteItem (a write refused by its condition is billed
 * too, so it counts) and every GetItem while the real processor handles one event of each kind on DynamoDB
 * Local. The targets: an event whose operations need no ordering guard ≤ 2 writes, a guarded upsert ≤ 3.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { uniqueName } from '../../support/emulators';
import {
  eventInput,
  fixture,
  type Harness,
  type HarnessOptions,
  segmentTrack,
  shopifyOrderCreated,
  stripeInvoicePaid,
  useHarness,
} from './harness';

const WRITES = new Set([
  'PutItemCommand',
  'UpdateItemCommand',
  'DeleteItemCommand',
  'PutCommand',
  'UpdateCommand',
  'DeleteCommand',
]);
const READS = new Set(['GetItemCommand', 'GetCommand']);

/** Counts the document client's calls from now on (writes and reads). */
function countCalls(h: Harness): { writes: number; reads: number; byCommand: Record<string, number> } {
  const counts = { writes: 0, reads: 0, byCommand: {} as Record<string, number> };
  h.documentClient.middlewareStack.add(
    (next, context) => async (args) => {
      const name = String(context.commandName);
      counts.byCommand[name] = (counts.byCommand[name] ?? 0) + 1;
      if (WRITES.has(name)) counts.writes++;
      if (READS.has(name)) counts.reads++;
      return next(args);
    },
    { step: 'initialize', name: uniqueName('countCalls') },
  );
  return counts;
}

const BASE_CREATED = 1_767_225_600;

/** A Stripe `customer.subscription.updated`: one guarded upsert (profiles, ordered by the event time). */
function subscriptionUpdate(email: string, createdOffset: number) {
  const event = JSON.parse(fixture('stripe-customer-subscription-updated.json').toString('utf8'));
  event.id = uniqueName('evt');
  event.created = BASE_CREATED + createdOffset;
  event.data.object.customer_email = email;
  return eventInput('stripe', 'customer.subscription.updated', event, {
    eventId: event.id,
    occurredAt: new Date(event.created * 1000).toISOString(),
  });
}

const OPTIONS: HarnessOptions = {};

describe('processor: DynamoDB writes per event, by kind', () => {
  const h = useHarness(OPTIONS);

  async function writesFor(
    input: Parameters<Harness['envelope']>[0],
  ): Promise<{ writes: number; reads: number; byCommand: Record<string, number> }> {
    const envelope = await h.envelope(input);
    const counts = countCalls(h);
    await h.deliver(envelope);
    return counts;
  }

  it('unguarded single operation (an append): 2 writes, claim and completion', async () => {
    const segment = await writesFor(segmentTrack());
    assert.equal(segment.writes, 2, JSON.stringify(segment.byCommand));
    const invoice = await writesFor(stripeInvoicePaid());
    assert.equal(invoice.writes, 2, JSON.stringify(invoice.byCommand));
  });

  it('guarded upsert: 3 writes, claim, entity lock with intent and completion (no guard commit)', async () => {
    const email = `${uniqueName('w')}@example.com`;
    const first = await writesFor(subscriptionUpdate(email, 60));
    assert.equal(first.writes, 3, JSON.stringify(first.byCommand));
  });

  it('guarded upsert of an entity whose previous event completed moments ago: 4 writes and 2 reads', async () => {
    const email = `${uniqueName('w')}@example.com`;
    await writesFor(subscriptionUpdate(email, 60));
    // The first event's lock is still live (it ends with its event's completion, which costs no write of
    // its own): the lock write is refused once (billed), the entity and the holder's event are read, and
    // the lock is taken over.
    const second = await writesFor(subscriptionUpdate(email, 120));
    assert.deepEqual(
      { writes: second.writes, reads: second.reads },
      { writes: 4, reads: 2 },
      JSON.stringify(second.byCommand),
    );
  });

  it('multi-operation event (two guarded upserts): 6 writes, the first operation keeps its commit and applied record', async () => {
    // claim; profiles: lock, commit (frees the entity while the event goes on), applied record; orders:
    // lock; completion (records orders, ends its lock). Was 8 before the completion carried the last one.
    const multi = await writesFor(shopifyOrderCreated(`${uniqueName('w')}@example.com`, 9_100_001));
    assert.equal(multi.writes, 6, JSON.stringify(multi.byCommand));
  });

  it('duplicate of a completed event: 1 write (the refused claim) and 1 read', async () => {
    const envelope = await h.envelope(segmentTrack());
    await h.deliver(envelope);
    const counts = countCalls(h);
    await h.deliver(envelope);
    assert.deepEqual({ writes: counts.writes, reads: counts.reads }, { writes: 1, reads: 1 });
  });
});
