"""What the tests and benchmarks of py-core and the apps share, kept out of the runtime
library: databases built by the migrations, reachability of the optional services, a
Redis of a test's own, scripted models, an OpenAI-compatible fake server, and helpers
for event tests (a TCP proxy to cut a connection). A dev dependency only: nothing the
app runs imports it.
"""
