import type Database from 'better-sqlite3';

const statements = new WeakMap<Database.Database, Map<string, Database.Statement>>();
const runners = new WeakMap<Database.Database, (work: () => unknown) => unknown>();

/**
 * The connection's statement for `sql`, prepared once. better-sqlite3's `prepare` compiles
 * the SQL on every call, and each statement holds native memory until a garbage collection
 * finds its JS object: preparing per call made most of a transition's garbage and kept
 * the process's malloc heap and V8's young generation growing under load (issue 20).
 * A statement is shared: one that a caller sets to `pluck()` stays so, which is why each
 * SQL text is used in one way only.
 */
export function statement(db: Database.Database, sql: string): Database.Statement {
  let cache = statements.get(db);
  if (!cache) {
    cache = new Map();
    statements.set(db, cache);
  }
  let prepared = cache.get(sql);
  if (!prepared) {
    prepared = db.prepare(sql);
    cache.set(sql, prepared);
  }
  return prepared;
}

/**
 * Runs `work` in a transaction (a savepoint when one is open already), like
 * `db.transaction(work)()` without building better-sqlite3's four wrapper functions per call.
 */
export function inTransaction<T>(db: Database.Database, work: () => T): T {
  let run = runners.get(db);
  if (!run) {
    run = db.transaction((w: () => unknown) => w());
    runners.set(db, run);
  }
  return run(work) as T;
}
