/**
 * Named clients: who may use which alias, and the ledger of their spend and rates, per replica or shared in Redis.
 *
 * <h2>Why shared spend stays exact when Redis forgets</h2>
 * A client's settled spend in a budget window is a grow-only counter with one <em>entry per replica process</em>
 * (the replica's name and a nonce drawn at start): {@code spent = sum(entries)}. Only its process adds to an entry,
 * and it knows its entry exactly, whether or not Redis has it yet: a settlement, or spend admitted on its own while
 * Redis was lost, is added in memory first. An entry is written to Redis as a whole number and kept only if larger
 * (a max), and every replica remembers every entry it has read. Max-merging is idempotent and order-free, so:
 * <ul>
 * <li><b>a settlement sent twice</b> (its reply lost) charges once: the second write carries the same number;</li>
 * <li><b>Redis restarted empty</b>: each Redis incarnation has an id ({@code incarnation}, set if absent by the
 * first replica to sync with it). A replica that finds a new id writes back every entry it knows (its own exact,
 * the others' as last read) before reading anything; the store then holds, per entry, the largest value any live
 * replica knew. Nothing is counted twice (a max, not a sum), and no amount is lost that a live replica knows. Two
 * replicas that both charged on their own during the outage each bring their own entry: both amounts are kept,
 * where a floor (the largest spend anyone read) would have let one cover the other;</li>
 * <li><b>an admission to a store not seeded yet</b> is turned back: it names the incarnation its replica last synced
 * with, the admission script answers "unknown incarnation", and the replica syncs (seeding it) and asks again, so
 * no request is admitted against a forgotten spend;</li>
 * <li><b>Redis back with its data</b> (a stall, a cut network): same incarnation, nothing to seed; each replica's
 * entry, including what it charged on its own meanwhile, goes out at its next sync. An admission whose reply never
 * came may still have held its estimate once Redis resumed: that hold is freed at the next sync;</li>
 * <li><b>a replica restarted</b> starts a new entry (a new nonce), so it never overwrites the spend of its previous
 * life, which stays in Redis and in the other replicas' memory.</li>
 * </ul>
 * What is lost: an entry's last increments that only one process knew, when that process and Redis's data are lost
 * together, and settlements a replica killed outright had not sent (at most one
 * {@code caravan.state.refresh-interval}; a graceful stop sends them). Holds of requests under way when Redis lost
 * its data are forgotten with it (their settlement still charges). Redis must not evict keys
 * ({@code maxmemory-policy noeviction}): an evicted entry looks like spend never made.
 *
 * <h2>Round trips</h2>
 * An admitted request costs one round trip to Redis on its path: one script, sent by its digest, that checks the
 * incarnation, sweeps lapsed holds, checks and holds the budget, and checks and counts both rates. Asked on an event
 * loop, it holds no thread: Vert.x's Redis client sends it ({@code LoopScripts}) and the request goes on on its own
 * loop once Redis answers; asked on any other thread, it is a blocking call. Its settlement is
 * counted in memory at once and sent in the background, batched with the heartbeat and the read of every client's
 * spend, once per refresh interval; until then its estimate stays held, so a late settlement never lets more
 * through.
 */
package dev.caravan.clients;
