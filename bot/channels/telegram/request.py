"""python-telegram-bot's networking on aiohttp, for the outbox sender. A broadcast is
limited by the CPU spent per request, and aiohttp's C HTTP parser spends a fraction of
what httpx does, so one process can keep Telegram's rate with room to spare. Text
messages only: the sender never uploads files."""

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData


class AiohttpRequest(BaseRequest):
    def __init__(self, connections: int = 8, read_timeout: float = 5.0, connect_timeout: float = 5.0) -> None:
        self._connections = connections
        self._read_timeout = read_timeout
        self._connect_timeout = connect_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=self._connections))

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: object = BaseRequest.DEFAULT_NONE,
        write_timeout: object = BaseRequest.DEFAULT_NONE,
        connect_timeout: object = BaseRequest.DEFAULT_NONE,
        pool_timeout: object = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("AiohttpRequest is not initialized")
        if request_data is not None and request_data.contains_files:
            raise NetworkError("AiohttpRequest sends text only; use HTTPXRequest for uploads")
        read = read_timeout if isinstance(read_timeout, int | float) else self._read_timeout
        connect = connect_timeout if isinstance(connect_timeout, int | float) else self._connect_timeout
        timeout = aiohttp.ClientTimeout(total=None, sock_read=read, sock_connect=connect)
        data = request_data.json_parameters if request_data else None
        try:
            async with self._session.request(
                method, url, data=data, timeout=timeout, headers={"User-Agent": self.USER_AGENT}
            ) as response:
                return response.status, await response.read()
        except TimeoutError as err:
            raise TimedOut from err
        except aiohttp.ClientError as err:
            raise NetworkError(f"aiohttp.{err.__class__.__name__}: {err}") from err
