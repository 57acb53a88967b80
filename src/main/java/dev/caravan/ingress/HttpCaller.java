package dev.caravan.ingress;

import java.util.ArrayList;
import java.util.List;

import dev.caravan.chat.Caller;
import io.vertx.core.http.HttpServerResponse;

/** An HTTP client waiting for an answer sent whole: gone when its connection closes before the answer has ended. */
public final class HttpCaller implements Caller {

    private final List<Runnable> actions = new ArrayList<>();
    private boolean gone;

    public HttpCaller(HttpServerResponse response) {
        response.closeHandler(v -> {
            if (!response.ended()) {
                left();
            }
        });
    }

    private void left() {
        List<Runnable> run;
        synchronized (this) {
            if (gone) {
                return;
            }
            gone = true;
            run = List.copyOf(actions);
            actions.clear();
        }
        run.forEach(Runnable::run);
    }

    @Override
    public synchronized boolean gone() {
        return gone;
    }

    @Override
    public void onGone(Runnable action) {
        synchronized (this) {
            if (!gone) {
                actions.add(action);
                return;
            }
        }
        action.run();
    }
}
