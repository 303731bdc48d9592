package de.geolead.receipts;

import de.geolead.db.Database;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Optional;

/**
 * The receipt commands of {@code java -jar geolead.jar}:
 * <ul>
 *   <li>{@code verify-receipt FILE}: one line; exit {@value #VALID} valid, {@value #INVALID} invalid or altered,
 *       {@value #NOT_A_RECEIPT} not a receipt (or unreadable), {@value #NOT_CHECKED} the signature is right but the chain
 *       could not be checked (no database) or the key is not known here</li>
 *   <li>{@code receipt-public-key}: the key id and public key receipts are signed with</li>
 *   <li>{@code receipt-key}: a new private key for GEOLEAD_RECEIPT_KEY</li>
 * </ul>
 */
public final class ReceiptCommands {

    public static final String VERIFY = "verify-receipt";
    public static final String PUBLIC_KEY = "receipt-public-key";
    public static final String NEW_KEY = "receipt-key";

    static final int VALID = 0;
    static final int INVALID = 1;
    static final int NOT_A_RECEIPT = 2;
    static final int NOT_CHECKED = 3;

    private ReceiptCommands() {
    }

    /** What the commands need of Geolead's settings (the launcher opens them as the application would). */
    public interface Environment {
        /** GEOLEAD_RECEIPT_KEY as set ("" = the generated key in the data directory). */
        String receiptKey();

        Path dataDir();

        /** Opens the application's database for reading, or says why there is none. */
        OpenedDatabase openDatabase();
    }

    /** The database a command reads ({@code close} when done), or null with the reason. */
    public record OpenedDatabase(Database database, String whyNot, AutoCloseable closer) implements AutoCloseable {
        @Override
        public void close() {
            if (closer != null) {
                try {
                    closer.close();
                } catch (Exception e) {
                    // the command is done either way
                }
            }
        }
    }

    /** Whether {@code command} is one of these commands. */
    public static boolean handles(String command) {
        return VERIFY.equals(command) || PUBLIC_KEY.equals(command) || NEW_KEY.equals(command);
    }

    /** Runs the command {@code args[0]} with the application's settings; returns the exit code. */
    public static int run(String[] args, Environment settings, PrintStream out, PrintStream err) {
        try {
            return switch (args[0]) {
                case VERIFY -> verify(args, settings, out, err);
                case PUBLIC_KEY -> publicKey(settings, out, err);
                case NEW_KEY -> {
                    out.println(ReceiptKey.newPrivateKey());
                    err.println("Set this as GEOLEAD_RECEIPT_KEY on every Geolead instance (keep it secret).");
                    yield 0;
                }
                default -> throw new IllegalArgumentException("unknown command " + args[0]);
            };
        } catch (IllegalArgumentException | IllegalStateException e) {
            // a malformed GEOLEAD_RECEIPT_KEY and the like: one line, never a value
            err.println(args[0] + ": " + e.getMessage());
            return NOT_A_RECEIPT;
        }
    }

    private static int verify(String[] args, Environment settings, PrintStream out, PrintStream err) {
        if (args.length != 2) {
            err.println("usage: java -jar geolead.jar verify-receipt FILE");
            return NOT_A_RECEIPT;
        }
        String text;
        try {
            text = Files.readString(Path.of(args[1]), StandardCharsets.UTF_8);
        } catch (IOException | RuntimeException e) {
            out.println("NOT A RECEIPT: " + args[1] + " cannot be read as UTF-8 text (" + e.getClass().getSimpleName() + ")");
            return NOT_A_RECEIPT;
        }
        ReceiptKey key = ReceiptKey.existing(settings.receiptKey(), settings.dataDir()).orElse(null);
        try (OpenedDatabase opened = settings.openDatabase()) {
            Receipts chain = opened.database() == null ? null : new Receipts(opened.database(), key, Clock.systemUTC());
            return report(new ReceiptVerifier(key, chain).verify(text), key, opened.whyNot(), out);
        }
    }

    private static int report(ReceiptVerifier.Verification v, ReceiptKey key, String whyNoDatabase, PrintStream out) {
        switch (v.result()) {
            case NOT_A_RECEIPT -> {
                out.println("NOT A RECEIPT: " + v.detail().substring("not a receipt: ".length()));
                return NOT_A_RECEIPT;
            }
            case VALID -> {
                if (v.chainChecked()) {
                    out.println("VALID: " + v.detail());
                    return VALID;
                }
                out.println("SIGNATURE VALID, CHAIN NOT CHECKED (" + whyNoDatabase + "): " + v.detail());
                return NOT_CHECKED;
            }
            default -> {
                if (!v.chainChecked() && v.problems().equals(java.util.List.of(ReceiptVerifier.UNKNOWN_KEY))) {
                    out.println("NOT CHECKED: receipt " + v.seq() + " names key " + v.keyId() + ", which is not the key configured here"
                            + (key == null ? " (none)" : " (" + key.keyId() + ")") + ", and the keys used before are in the database: "
                            + whyNoDatabase);
                    return NOT_CHECKED;
                }
                out.println("INVALID: " + v.detail());
                return INVALID;
            }
        }
    }

    private static int publicKey(Environment settings, PrintStream out, PrintStream err) {
        Optional<ReceiptKey> key = ReceiptKey.existing(settings.receiptKey(), settings.dataDir());
        if (key.isEmpty()) {
            err.println("No receipt key yet: GEOLEAD_RECEIPT_KEY is unset and Geolead has not generated one in "
                    + settings.dataDir().resolve(ReceiptKey.FILE) + " (it does on its first start)");
            return INVALID;
        }
        out.println("key id " + key.get().keyId() + " public key " + key.get().publicKeyBase64());
        return VALID;
    }
}
