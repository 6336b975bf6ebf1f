"""`inspector photos folder add|remove|list`: where this laptop's photos arrive (a phone's DCIM copy, `Pictures`);
`inspector photos gps keep|strip`: whether the copies sent to HQ keep where a photo was taken (strip unless HQ asks;
an enrolled laptop follows HQ's `photos_keep_gps` setting at each sync, Store.follow_photo_gps).

The picker lists these folders; they are kept in the data dir's `photos.json` (`inspector.core.photo_files`), the
data dir's `inbox/` when none is set. The same list is changed from the picker by typing a folder's path.
"""

from __future__ import annotations

from pathlib import Path
from typing import TextIO

from checklists.i18n import Catalogue

TEXT = Catalogue(
    "photo_commands",
    {
        "photos.added": ("已加入照片文件夹：{folder}", "photo folder added: {folder}"),
        "photos.removed": ("已移除照片文件夹：{folder}", "photo folder removed: {folder}"),
        "photos.not_a_folder": ("不是文件夹：{folder}", "not a folder: {folder}"),
        "photos.list": ("照片文件夹（最新的在前）：", "photo folders (newest first):"),
        "photos.save_failed": ("无法保存照片文件夹设置：{error}", "cannot save the photo folder setting: {error}"),
        "photos.gps_keep": (
            "今后上传给总部的照片保留拍摄位置（GPS）",
            "photos sent to HQ from now on keep where they were taken (GPS)",
        ),
        "photos.gps_strip": (
            "今后上传给总部的照片去除拍摄位置（GPS），原图仍保存在本机",
            "photos sent to HQ from now on have no location (GPS); the originals on this laptop keep it",
        ),
    },
)


def folder_add_main(data_dir: Path, folder: Path, out: TextIO, err: TextIO, lang: str = "zh") -> int:
    from inspector.core.photo_files import add_folder

    if not folder.expanduser().is_dir():
        err.write(TEXT("photos.not_a_folder", lang, folder=folder) + "\n")
        return 1
    try:
        settings = add_folder(data_dir, folder)
    except OSError as error:
        err.write(TEXT("photos.save_failed", lang, error=error.strerror or error) + "\n")
        return 1
    out.write(TEXT("photos.added", lang, folder=settings.folders[0]) + "\n")
    return 0


def folder_remove_main(data_dir: Path, folder: Path, out: TextIO, err: TextIO, lang: str = "zh") -> int:
    from inspector.core.photo_files import remove_folder

    try:
        remove_folder(data_dir, folder)
    except OSError as error:
        err.write(TEXT("photos.save_failed", lang, error=error.strerror or error) + "\n")
        return 1
    out.write(TEXT("photos.removed", lang, folder=folder) + "\n")
    return 0


def folder_list_main(data_dir: Path, out: TextIO, err: TextIO, lang: str = "zh") -> int:
    from inspector.core.photo_files import load_settings

    settings = load_settings(data_dir, lang)
    if settings.problem:
        err.write(settings.problem + "\n")
    out.write(TEXT("photos.list", lang) + "\n")
    for folder in settings.folders:
        out.write(f"  {folder}\n")
    return 0


def gps_main(data_dir: Path, keep: bool, out: TextIO, err: TextIO, lang: str = "zh") -> int:
    from inspector.core.photo_files import set_keep_gps

    try:
        set_keep_gps(data_dir, keep)
    except OSError as error:
        err.write(TEXT("photos.save_failed", lang, error=error.strerror or error) + "\n")
        return 1
    out.write(TEXT("photos.gps_keep" if keep else "photos.gps_strip", lang) + "\n")
    return 0
