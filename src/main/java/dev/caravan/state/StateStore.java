package dev.caravan.state;

import java.time.Duration;
import java.util.List;

/**
 * Where replicas put what they learn and read what the others learnt. Every value starts with a number that
 * orders it (a cooldown's end, a report's time, a breaker change's time); a write keeps whichever value has the
 * larger number, atomically, so two replicas writing at once never lose the later fact. Every key expires.
 */
public interface StateStore extends AutoCloseable {

    /**
     * One write: {@code value} under {@code key} unless the value there now is ordered after {@code order}.
     *
     * @param ttl how long the key lives after this write
     */
    record Write(String key, long order, String value, Duration ttl) {
    }

    /** The store could not be reached or did not answer in time. */
    final class Unavailable extends RuntimeException {
        public Unavailable(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /**
     * Applies {@code writes}, then reads {@code keys}, in one exchange with the store.
     *
     * @return the value of each key, in order, null where there is none
     */
    List<String> exchange(List<Write> writes, List<String> keys);

    /**
     * Holds {@code key} for {@code owner} during {@code ttl}: granted when nobody holds it or {@code owner} already
     * does (the hold is then extended); refused while another owner's hold lasts.
     */
    boolean lease(String key, String owner, Duration ttl);

    @Override
    void close();
}
