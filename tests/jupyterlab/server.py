"""Debian's jupyter_server on 127.0.0.1 on a free port, for tests/jupyterlab/.

jupyter_server 1.x binds port 0 to a free port but reports (and writes into its server file)
port 0; this subclass takes the bound port back before the server announces its URL, so the
test reads it from the log line "... is running at: http://127.0.0.1:PORT/".

    /usr/bin/python3 server.py [jupyter_server options]
"""
from jupyter_server.serverapp import ServerApp


class TestServerApp(ServerApp):
    def _bind_http_server_tcp(self):
        ok = super()._bind_http_server_tcp()
        if ok and self.port == 0:
            sockets = self.http_server._sockets.values()
            self.port = next(iter(sockets)).getsockname()[1]
        return ok


if __name__ == "__main__":
    TestServerApp.launch_instance()
