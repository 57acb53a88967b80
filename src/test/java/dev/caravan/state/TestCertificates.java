package dev.caravan.state;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.util.List;

/**
 * A throwaway certificate authority and a server certificate it signed for 127.0.0.1 and localhost, made with
 * {@code openssl} (which {@code .ci/run} installs when missing), and a PKCS12 trust store of the authority.
 */
final class TestCertificates {

    static final String CA_CERT = "ca.crt";
    static final String SERVER_CERT = "server.crt";
    static final String SERVER_KEY = "server.key";
    static final String TRUST_STORE = "trust.p12";

    private TestCertificates() {
    }

    /** Writes the authority, the server's certificate and key, and the trust store into {@code dir}. */
    static void issue(Path dir, String trustStorePassword) throws IOException {
        Files.writeString(dir.resolve("server.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
        openssl(dir, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", CA_CERT,
                "-days", "2", "-subj", "/CN=Caravan test authority");
        openssl(dir, "req", "-newkey", "rsa:2048", "-nodes", "-keyout", SERVER_KEY, "-out", "server.csr",
                "-subj", "/CN=localhost");
        openssl(dir, "x509", "-req", "-in", "server.csr", "-CA", CA_CERT, "-CAkey", "ca.key", "-CAcreateserial",
                "-out", SERVER_CERT, "-days", "2", "-extfile", "server.ext");
        try (InputStream ca = Files.newInputStream(dir.resolve(CA_CERT));
                OutputStream out = Files.newOutputStream(dir.resolve(TRUST_STORE))) {
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            trust.setCertificateEntry("caravan-test-ca", CertificateFactory.getInstance("X.509")
                    .generateCertificate(ca));
            trust.store(out, trustStorePassword.toCharArray());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void openssl(Path dir, String... arguments) throws IOException {
        List<String> command = new java.util.ArrayList<>(List.of("openssl"));
        command.addAll(List.of(arguments));
        Process p;
        try {
            p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(dir.resolve("openssl.log").toFile()).start();
        } catch (IOException e) {
            throw new IllegalStateException("openssl is not installed: apt-get install openssl (bash .ci/run "
                    + "installs it)", e);
        }
        try {
            if (p.waitFor() != 0) {
                throw new IllegalStateException("openssl " + arguments[0] + " failed: "
                        + Files.readString(dir.resolve("openssl.log")));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
