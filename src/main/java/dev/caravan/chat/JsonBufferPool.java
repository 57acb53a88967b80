package dev.caravan.chat;

import com.fasterxml.jackson.core.util.BufferRecycler;
import com.fasterxml.jackson.core.util.JsonRecyclerPools;
import com.fasterxml.jackson.core.util.RecyclerPool;

/**
 * Where Jackson's parsers and generators take their buffers from: a platform thread (an event loop, which reads most
 * requests and answers) keeps its own, found by a thread-local look-up with nothing allocated or contended; a virtual
 * thread (a JMS or file request, a blocking call) takes them from one shared pool, since a fresh virtual thread's own
 * would be new buffers every time. Jackson's shared pool alone cost each parse on a loop a deque node and two
 * contended operations.
 */
public final class JsonBufferPool implements RecyclerPool<BufferRecycler> {

    private static final long serialVersionUID = 1L;
    private static final JsonBufferPool INSTANCE = new JsonBufferPool();

    private final RecyclerPool<BufferRecycler> perThread = JsonRecyclerPools.threadLocalPool();
    private final RecyclerPool<BufferRecycler> shared = JsonRecyclerPools.sharedConcurrentDequePool();

    private JsonBufferPool() {
    }

    public static JsonBufferPool get() {
        return INSTANCE;
    }

    private RecyclerPool<BufferRecycler> pool() {
        return Thread.currentThread().isVirtual() ? shared : perThread;
    }

    /** Linked to the pool it came from, so that it goes back there whichever thread releases it. */
    @Override
    public BufferRecycler acquireAndLinkPooled() {
        return pool().acquireAndLinkPooled();
    }

    @Override
    public BufferRecycler acquirePooled() {
        return pool().acquirePooled();
    }

    @Override
    public void releasePooled(BufferRecycler recycler) {
        // only reached for an unlinked recycler: the per-thread pool's own, which it keeps without being handed back
        perThread.releasePooled(recycler);
    }

    private Object readResolve() {
        return INSTANCE;
    }
}
