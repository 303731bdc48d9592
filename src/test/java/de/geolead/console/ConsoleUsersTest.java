package de.geolead.console;

import de.geolead.testing.LogCapture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ConsoleUsersTest {

    @TempDir
    Path dir;

    @Test
    void aLineHoldsNameHashAndRoles() {
        String line = ConsoleUsers.line("alice", "s3cret".toCharArray(), List.of("admin", "viewer"));

        assertThat(line).matches("alice = pbkdf2-sha256\\$\\d+\\$[^$]+\\$[^$,]+, admin, viewer");
    }

    @Test
    void theRightPasswordGivesTheRoles() throws Exception {
        ConsoleUsers users = ConsoleUsers.read(file(
                ConsoleUsers.line("alice", "s3cret".toCharArray(), List.of("admin", "viewer")),
                ConsoleUsers.line("bob", "b0b".toCharArray(), List.of("viewer"))));

        assertThat(users.authenticate("alice", "s3cret".toCharArray())).contains(List.of("admin", "viewer"));
        assertThat(users.authenticate("bob", "b0b".toCharArray())).contains(List.of("viewer"));
    }

    @Test
    void aWrongPasswordAndAnUnknownUserGiveTheSameNothing() throws Exception {
        ConsoleUsers users = ConsoleUsers.read(file(ConsoleUsers.line("alice", "s3cret".toCharArray(), List.of("viewer"))));

        assertThat(users.authenticate("alice", "wrong".toCharArray())).isEmpty();
        assertThat(users.authenticate("mallory", "s3cret".toCharArray())).isEmpty();
        assertThat(users.authenticate(null, "s3cret".toCharArray())).isEmpty();
    }

    @Test
    void commentsAndBlankLinesAreSkippedAndBadLinesIgnoredWithAWarningThatShowsNoHash() throws Exception {
        String alice = ConsoleUsers.line("alice", "s3cret".toCharArray(), List.of("viewer"));
        String badHash = alice.split(" = ")[1];
        try (LogCapture log = LogCapture.open()) {
            ConsoleUsers users = ConsoleUsers.read(file("# ops users", "", "   ", "no equals sign " + badHash, alice));

            assertThat(users.authenticate("alice", "s3cret".toCharArray())).contains(List.of("viewer"));
            assertThat(log.linesContaining("line 4")).singleElement().asString().startsWith("WARN ").doesNotContain(badHash);
        }
    }

    @Test
    void aUserWithoutRolesMayExistButHasNone() throws Exception {
        ConsoleUsers users = ConsoleUsers.read(file(ConsoleUsers.line("carl", "c4rl".toCharArray(), List.of())));

        assertThat(users.authenticate("carl", "c4rl".toCharArray())).contains(List.of());
    }

    @Test
    void namesAreRestrictedSoTheFileStaysParseable() {
        assertThatThrownBy(() -> ConsoleUsers.line("a=b", "x".toCharArray(), List.of())).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ConsoleUsers.line("a b", "x".toCharArray(), List.of())).isInstanceOf(IllegalArgumentException.class);
    }

    private Path file(String... lines) throws Exception {
        return Files.write(dir.resolve("users.properties"), List.of(lines));
    }
}
