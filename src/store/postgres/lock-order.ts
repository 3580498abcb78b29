/*
 * Lock order. Every transaction of the PostgreSQL store takes its locks in this order, and
 * each statement that locks several rows of one table locks them in ascending key order (a
 * `for update` CTE sorted by the key, whose rows are locked after the sort):
 *   1. one incident row (`incidents ... for update`): save, append, setThread, finishDispatch
 *      (incident-log.ts, dispatch-leases.ts);
 *   2. dispatch rows, by (incident_id, step_id, attempt): finishDispatch, renewLeases,
 *      releaseLeases (dispatch-leases.ts, replica-leases.ts);
 *   3. the OutboxLock advisory lock (claims only, so that one incident's messages go out in
 *      order): claimOutbox (outbox-queue.ts);
 *   4. outbox rows, by id: claimOutbox, settleOutbox, retryOutbox, renewLeases, releaseLeases
 *      (outbox-queue.ts, replica-leases.ts).
 * Inserting outbox or transcript rows takes no lock another statement waits for.
 * Why it is written down: renewLeases (outbox rows in heap order, `where owner = $1`) and
 * settleOutbox (rows by primary key) of one replica once locked the same two rows in
 * opposite orders and PostgreSQL killed one with "deadlock detected" (issue 12). A deadlock
 * or serialisation failure that still happens is retried (connection.ts), never handed to
 * the engine.
 * Every part that takes one of these locks imports this module, so that the order is in
 * sight where a lock is added.
 */

/**
 * Serialises migrations at start-up (migrations.ts), so that several replicas starting
 * together do not race. Taken before any table exists, so it is outside the order above.
 */
export const MigrationLock = 0x52_44_50_46; // "RDPF"

/** Serialises outbox claims across replicas, so that one incident's messages go out in order (step 3). */
export const OutboxLock = 0x52_44_50_4f; // "RDPO"
