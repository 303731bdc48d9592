package de.geolead.api;

import de.geolead.testing.LogCapture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ApiTokensTest {

    static final String ADMIN_TOKEN = "a-long-admin-token-0123456789";
    static final String VIEWER_TOKEN = "a-long-viewer-token-0123456789";

    @TempDir
    Path dir;

    @Test
    void aLineHoldsNameRoleAndASaltedHashNeverTheToken() {
        String line = ApiTokens.line("ops-admin", "admin", ADMIN_TOKEN.toCharArray());

        assertThat(line).matches("ops-admin,admin,pbkdf2-sha256\\$\\d+\\$[^$]+\\$[^$,]+").doesNotContain(ADMIN_TOKEN);
        assertThat(ApiTokens.line("ops-admin", "admin", ADMIN_TOKEN.toCharArray())).as("salted").isNotEqualTo(line);
    }

    @Test
    void eachTokenGivesItsNameAndRoleAndAnythingElseNothing() throws Exception {
        ApiTokens tokens = ApiTokens.read(file(
                ApiTokens.line("ops-admin", "admin", ADMIN_TOKEN.toCharArray()),
                ApiTokens.line("staff", "viewer", VIEWER_TOKEN.toCharArray())));

        assertThat(tokens.size()).isEqualTo(2);
        assertThat(tokens.authenticate(ADMIN_TOKEN)).contains(new ApiUser("ops-admin", "admin"));
        assertThat(tokens.authenticate(VIEWER_TOKEN)).contains(new ApiUser("staff", "viewer"));
        // asked again: the remembered answer is the same
        assertThat(tokens.authenticate(ADMIN_TOKEN)).contains(new ApiUser("ops-admin", "admin"));
        assertThat(tokens.authenticate("a-long-admin-token-012345678")).isEmpty();
        assertThat(tokens.authenticate("a-long-admin-token-012345678")).as("a remembered failure").isEmpty();
        assertThat(tokens.authenticate("")).isEmpty();
        assertThat(tokens.authenticate(null)).isEmpty();
        assertThat(tokens.authenticate("x".repeat(5000))).isEmpty();
    }

    @Test
    void malformedLinesAreSkippedWithTheirNumberOnlyAndCommentsIgnored() throws Exception {
        String good = ApiTokens.line("ops-admin", "admin", ADMIN_TOKEN.toCharArray());
        String hash = good.substring(good.lastIndexOf(',') + 1);
        try (LogCapture log = LogCapture.open()) {
            ApiTokens tokens = ApiTokens.read(file("# comment", "", "root,superuser," + hash, "no-role-here", good));

            assertThat(tokens.size()).isEqualTo(1);
            assertThat(tokens.authenticate(ADMIN_TOKEN)).isPresent();
            assertThat(log.linesContaining("API tokens file")).hasSize(2)
                    .anySatisfy(line -> assertThat(line).contains("line 3"))
                    .anySatisfy(line -> assertThat(line).contains("line 4"))
                    .allSatisfy(line -> assertThat(line).doesNotContain(hash));
        }
    }

    @Test
    void theCommandRefusesShortTokensBadRolesAndBadNames() {
        assertThatThrownBy(() -> ApiTokens.line("ops", "admin", "short".toCharArray())).hasMessageContaining("at least");
        assertThatThrownBy(() -> ApiTokens.line("ops", "root", ADMIN_TOKEN.toCharArray())).hasMessageContaining("admin or viewer");
        assertThatThrownBy(() -> ApiTokens.line("ops,admin", "admin", ADMIN_TOKEN.toCharArray())).hasMessageContaining("NAME");
    }

    @Test
    void theCommandPrintsTheLineAndReadsADashTokenFromStandardInput() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        InputStream stdin = System.in;
        try {
            System.setIn(new ByteArrayInputStream((VIEWER_TOKEN + "\n").getBytes(StandardCharsets.UTF_8)));
            int code = ApiTokens.command(new String[] {"staff", "viewer", "-"}, new PrintStream(out, true), new PrintStream(err, true));
            assertThat(code).isZero();
        } finally {
            System.setIn(stdin);
        }
        String line = out.toString(StandardCharsets.UTF_8).strip();
        assertThat(line).startsWith("staff,viewer,pbkdf2-sha256$").doesNotContain(VIEWER_TOKEN);
        assertThat(ApiTokens.read(file(line)).authenticate(VIEWER_TOKEN)).contains(new ApiUser("staff", "viewer"));
    }

    @Test
    void theCommandAnswersUsageAndErrorsWithExitCode2() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(new ByteArrayOutputStream(), true);

        assertThat(ApiTokens.command(new String[] {"staff"}, out, new PrintStream(err, true))).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("usage: java -jar geolead.jar api-token NAME ROLE TOKEN");
        assertThat(ApiTokens.command(new String[] {"staff", "owner", ADMIN_TOKEN}, out, new PrintStream(err, true))).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("ROLE must be admin or viewer");
    }

    private Path file(String... lines) throws Exception {
        Path file = dir.resolve("tokens-" + System.nanoTime());
        Files.writeString(file, String.join("\n", lines) + "\n");
        return file;
    }
}
