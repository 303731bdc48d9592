package de.geolead.console;

import org.junit.jupiter.api.Test;

import java.util.Base64;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PasswordHashTest {

    static final String HASH = PasswordHash.create("s3cret".toCharArray());

    @Test
    void theRightPasswordMatches() {
        assertThat(PasswordHash.matches("s3cret".toCharArray(), HASH)).isTrue();
    }

    @Test
    void aWrongPasswordDoesNot() {
        assertThat(PasswordHash.matches("s3cret ".toCharArray(), HASH)).isFalse();
        assertThat(PasswordHash.matches("S3cret".toCharArray(), HASH)).isFalse();
        assertThat(PasswordHash.matches(new char[0], HASH)).isFalse();
    }

    @Test
    void theHashIsSaltedSlowPbkdf2() {
        String[] parts = HASH.split("\\$");

        assertThat(parts).hasSize(4);
        assertThat(parts[0]).isEqualTo("pbkdf2-sha256");
        assertThat(Integer.parseInt(parts[1])).isGreaterThanOrEqualTo(210_000);
        assertThat(Base64.getDecoder().decode(parts[2])).hasSize(16);
        assertThat(Base64.getDecoder().decode(parts[3])).hasSize(32);
        // a fresh salt every time
        assertThat(PasswordHash.create("s3cret".toCharArray())).isNotEqualTo(HASH);
    }

    @Test
    void aTamperedHashNeverMatches() {
        String[] parts = HASH.split("\\$");
        byte[] hash = Base64.getDecoder().decode(parts[3]);
        hash[0] ^= 1;
        byte[] salt = Base64.getDecoder().decode(parts[2]);
        salt[0] ^= 1;
        Base64.Encoder base64 = Base64.getEncoder().withoutPadding();

        assertThat(PasswordHash.matches("s3cret".toCharArray(), String.join("$", parts[0], parts[1], parts[2], base64.encodeToString(hash)))).isFalse();
        assertThat(PasswordHash.matches("s3cret".toCharArray(), String.join("$", parts[0], parts[1], base64.encodeToString(salt), parts[3]))).isFalse();
        assertThat(PasswordHash.matches("s3cret".toCharArray(), String.join("$", parts[0], "600001", parts[2], parts[3]))).isFalse();
    }

    @Test
    void aWeakOrMalformedHashNeverMatchesAndThrowsNothing() {
        // a correct hash with too few iterations is refused all the same
        String weak = "pbkdf2-sha256$1000$c2FsdHNhbHRzYWx0c2FsdA$" + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
        for (String stored : new String[] {weak, "", "s3cret", "{SHA-256}abc", "pbkdf2-sha256$x$y$z",
                "pbkdf2-sha256$600000$!!$!!", "pbkdf2-sha1$600000$" + HASH.split("\\$", 3)[2], HASH + "$extra", null}) {
            assertThat(PasswordHash.matches("s3cret".toCharArray(), stored)).as(stored).isFalse();
        }
    }

    @Test
    void anEmptyPasswordIsNotHashed() {
        assertThatThrownBy(() -> PasswordHash.create(new char[0])).isInstanceOf(IllegalArgumentException.class);
    }
}
