import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import jakarta.jms.Connection;
import jakarta.jms.MessageProducer;
import jakarta.jms.Session;
import jakarta.jms.TemporaryQueue;
import jakarta.jms.TextMessage;
import org.apache.activemq.artemis.jms.client.ActiveMQConnectionFactory;

/**
 * Sends N chat requests to the request queue and waits for their N replies; prints messages/s.
 * Run with the gateway's jar on the class path: java -cp target/caravan.jar bench/JmsLoad.java URL N
 */
public class JmsLoad {

    public static void main(String[] args) throws Exception {
        String url = args[0];
        int count = Integer.parseInt(args[1]);
        try (Connection connection = new ActiveMQConnectionFactory(url).createConnection()) {
            connection.start();
            // sent in transactions of 100: one durable send at a time would measure the broker's disk syncs
            Session sending = connection.createSession(true, Session.SESSION_TRANSACTED);
            Session receiving = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
            TemporaryQueue replies = receiving.createTemporaryQueue();
            CountDownLatch answered = new CountDownLatch(count);
            int[] failed = new int[1];
            receiving.createConsumer(replies).setMessageListener(m -> {
                try {
                    if (m.getIntProperty("caravanStatus") != 200) {
                        failed[0]++;
                    }
                } catch (Exception e) {
                    failed[0]++;
                }
                answered.countDown();
            });
            MessageProducer producer = sending.createProducer(sending.createQueue("llm.requests"));
            long started = System.nanoTime();
            for (int i = 0; i < count; i++) {
                TextMessage message = sending.createTextMessage(
                        "{\"model\":\"fast\",\"messages\":[{\"role\":\"user\",\"content\":\"message " + i + "\"}]}");
                message.setJMSReplyTo(replies);
                producer.send(message);
                if (i % 100 == 99) {
                    sending.commit();
                }
            }
            sending.commit();
            boolean all = answered.await(300, TimeUnit.SECONDS);
            double seconds = (System.nanoTime() - started) / 1e9;
            System.out.printf("RESULT messages=%d answered=%d non200=%d seconds=%.2f rate=%.0f/s%n", count,
                    count - answered.getCount(), failed[0], seconds, (count - answered.getCount()) / seconds);
            if (!all) {
                System.exit(1);
            }
        }
    }
}
