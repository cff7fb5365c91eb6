"""The kinds of personal information a program's privacy declaration lists, and the APIs that use them.

The console keeps a privacy declaration per program (which personal information the program uses
and why, as WeChat's 用户隐私保护指引); the scanner checks code against it. This catalogue is the one
place both sides read: the console offers these kinds, the scanner maps API calls to them.
"""

from __future__ import annotations

from dataclasses import dataclass

LOCATION = "location"
CHOSEN_LOCATION = "chosen_location"
ADDRESS = "address"
PHONE_NUMBER = "phone_number"
CAMERA = "camera"
MICROPHONE = "microphone"
ALBUM = "album"
ALBUM_WRITE = "album_write"
BLUETOOTH = "bluetooth"
CONTACTS = "contacts"
CALENDAR = "calendar"
CLIPBOARD = "clipboard"
RUN_DATA = "run_data"


@dataclass(frozen=True)
class PersonalInfoKind:
    code: str
    label: str
    label_zh: str


PERSONAL_INFO_KINDS: dict[str, PersonalInfoKind] = {kind.code: kind for kind in [
    PersonalInfoKind(LOCATION, "Location", "位置信息"),
    PersonalInfoKind(CHOSEN_LOCATION, "Location the user picks on a map", "选择的位置信息"),
    PersonalInfoKind(ADDRESS, "Postal address", "收货地址"),
    PersonalInfoKind(PHONE_NUMBER, "Phone number", "手机号"),
    PersonalInfoKind(CAMERA, "Camera", "摄像头"),
    PersonalInfoKind(MICROPHONE, "Microphone (recording)", "麦克风"),
    PersonalInfoKind(ALBUM, "Photos or videos the user picks", "选中的照片或视频信息"),
    PersonalInfoKind(ALBUM_WRITE, "Saving to the photo album", "相册（仅写入）权限"),
    PersonalInfoKind(BLUETOOTH, "Bluetooth", "蓝牙"),
    PersonalInfoKind(CONTACTS, "Adding to contacts", "通讯录（仅写入）权限"),
    PersonalInfoKind(CALENDAR, "Adding to the calendar", "日历（仅写入）权限"),
    PersonalInfoKind(CLIPBOARD, "Clipboard", "剪切板"),
    PersonalInfoKind(RUN_DATA, "Step count (WeRun)", "微信运动步数"),
]}
