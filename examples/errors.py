"""A handler raises: the asker gets the exception, and on_error decides what follows."""

import airsrt
from airsrt import ErrorAction


class Reading(airsrt.Message[float]):
    def __init__(self, raw: str) -> None:
        self.raw = raw


class Count(airsrt.Message[int]):
    """How many readings this instance has taken."""


class Recalibrate:
    """Drops the calibration (its handler has a bug)."""


class Unplugged:
    """The hardware is gone."""


class Sensor(airsrt.Actor):
    def __init__(self) -> None:
        self.readings = 0  # state: a restart starts it again from zero

    @airsrt.handler
    def read(self, msg: Reading) -> float:
        value = float(msg.raw)  # ValueError on bad input
        self.readings += 1
        return value

    @airsrt.handler
    def count(self, msg: Count) -> int:
        return self.readings

    @airsrt.handler
    def recalibrate(self, msg: Recalibrate) -> None:
        raise RuntimeError("calibration table corrupted")

    @airsrt.handler
    def unplugged(self, msg: Unplugged) -> None:
        raise OSError("device unplugged")

    def on_error(self, error: BaseException, msg: object) -> ErrorAction:
        if isinstance(error, ValueError):
            return ErrorAction.RESUME  # bad input: skip it, keep the state
        if isinstance(error, OSError):
            return ErrorAction.STOP  # nothing left to do: a normal exit
        return ErrorAction.RESTART  # anything else: a fresh instance


async def main() -> None:
    async with airsrt.ActorSystem(log_failures=False) as system:
        sensor = system.spawn(Sensor)
        print("read:", await sensor.ask(Reading("21.5")))
        try:
            await sensor.ask(Reading("n/a"))
        except ValueError as error:  # the handler's own exception, unchanged
            print("the asker got", repr(error))
        await sensor.ask(Reading("22.0"))
        print("RESUME kept the state; readings:", await sensor.ask(Count()))

        sensor.tell(Recalibrate())  # nobody asked: only on_error sees this failure
        readings = await sensor.ask(Count())  # queued messages survive a restart
        print(f"RESTART: incarnation {sensor.incarnation}, readings: {readings}")

        sensor.tell(Unplugged())
        try:
            await sensor.ask(Count())
        except airsrt.ActorStoppedError:
            print("STOP: the next ask failed with ActorStoppedError")
        print("alive:", sensor.is_alive)


if __name__ == "__main__":
    airsrt.run(main())
