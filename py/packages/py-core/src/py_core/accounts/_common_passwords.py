"""Passwords that are among the most used, and so the first an attacker tries.

Written for this project from the well-known top entries of public breach statistics;
only those of 8 characters or more matter, since shorter ones fail the length rule.
"""

COMMON_PASSWORDS = frozenset(
    {
        "12345678", "123456789", "1234567890", "12345678910", "11111111", "00000000",
        "87654321", "123123123", "1q2w3e4r", "1q2w3e4r5t", "1qaz2wsx", "qwertyui",
        "qwertyuiop", "qwerty123", "qwerty12345", "asdfghjkl", "zxcvbnm1", "password",
        "password1", "password12", "password123", "password!", "passw0rd", "p@ssw0rd",
        "p@ssword", "iloveyou", "iloveyou1", "princess", "sunshine", "football",
        "baseball", "superman", "starwars", "whatever", "trustno1", "letmein1",
        "welcome1", "welcome123", "abc12345", "abcd1234", "admin123", "administrator",
        "changeme", "computer", "internet", "michelle", "jennifer", "corvette",
        "mercedes", "liverpool", "chelsea1", "arsenal1", "danielle", "babygirl",
        "lovely123", "samsung1", "google123", "pokemon1", "minecraft", "dragon123",
        "monkey123", "shadow123", "master123", "football1", "qazwsxedc", "q1w2e3r4",
        "q1w2e3r4t5", "zaq12wsx", "aa123456", "a1b2c3d4", "access14", "batman123",
        "charlie1", "michael1", "jessica1", "ashley123", "hello123", "freedom1",
        "secret123", "test1234", "testtest", "default1", "letmein123", "iloveu123",
    }
)  # fmt: skip
