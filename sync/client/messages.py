"""The device's words about sync, in Chinese and English: one catalogue for the client and the field commands."""

from __future__ import annotations

from checklists.i18n import Catalogue, Plural

TEXT = Catalogue(
    "sync.client",
    {
        "unreachable": (
            "无法连接总部（{url}）：{detail}。记录都已保存在本机，稍后会自动重试。",
            "HQ unreachable ({url}): {detail}. Everything is saved on this laptop; sync will try again later.",
        ),
        "server_error": (
            "总部暂时出错（HTTP {status}）：{detail}。稍后会自动重试。",
            "HQ had a problem (HTTP {status}): {detail}. Sync will try again later.",
        ),
        "no_token": (
            "本机尚未绑定总部，请运行 inspector enroll URL CODE",
            "this device is not enrolled: run inspector enroll URL CODE",
        ),
        "unknown_token": (
            "总部不认识本机的凭据，请向总部索取新的绑定码重新绑定",
            "HQ does not know this device: ask HQ for a new code and enroll again",
        ),
        "revoked": (
            "本机已被总部停用，请联系总部索取新的绑定码",
            "HQ has revoked this device: ask HQ for a new enrollment code",
        ),
        "bad_code": (
            "绑定码无效，请核对或向总部索取新的绑定码",
            "the enrollment code is not valid: check it or ask HQ for a new one",
        ),
        "code_used": (
            "该绑定码已被使用，请向总部索取新的绑定码",
            "this enrollment code was already used: ask HQ for a new one",
        ),
        "code_expired": (
            "该绑定码已过期，请向总部索取新的绑定码",
            "this enrollment code has expired: ask HQ for a new one",
        ),
        "protocol_mismatch": (
            "本机与总部的同步协议版本不一致，请升级 Inspector",
            "this device and HQ speak different sync protocol versions: update Inspector",
        ),
        "forbidden": ("本机用户没有执行该操作的权限", "this device's user may not do that"),
        "too_large": ("请求超过总部允许的大小", "the request is larger than HQ accepts"),
        "http_error": ("总部拒绝了请求（HTTP {status}）：{detail}", "HQ refused the request (HTTP {status}): {detail}"),
        "stalled_detail": (
            "总部在 {s} 秒内没有答完（网络过慢或连接卡住），已放弃本次请求",
            "HQ did not finish answering within {s} s (a very slow or stalled connection); the request was given up",
        ),
        "answer_too_big_detail": (
            "答复有 {size} 字节，超过上限 {limit} 字节，未读取",
            "the answer is {size} bytes, over the limit of {limit}, and was not read",
        ),
        "round_deadline": (
            "本轮同步超过 {minutes} 分钟仍未完成，已停止；已完成的部分已保存，其余的下次同步继续。",
            Plural(
                "this sync round ran over {minutes} minute and was stopped; what it finished is kept, the rest goes "
                "at the next sync.",
                "this sync round ran over {minutes} minutes and was stopped; what it finished is kept, the rest goes "
                "at the next sync.",
                count="minutes",
            ),
        ),
        "bad_answer": ("总部的答复无法识别：{detail}", "HQ's answer could not be understood: {detail}"),
        "too_big_record": (
            "记录过大（{size} 字节），超过单次上传上限，无法上传",
            "the record is too large to send ({size} bytes)",
        ),
        "photo_missing": ("本机找不到照片文件 {sha}", "the photo file {sha} is missing on this laptop"),
        "photo_too_big": (
            "照片 {sha} 过大（{size} 字节，总部上限 {limit} 字节），无法上传",
            "the photo {sha} is too large to send ({size} bytes; HQ accepts up to {limit})",
        ),
        "photo_damaged": (
            "本机照片文件 {sha} 已损坏（内容与编号不符），无法上传",
            "the photo file {sha} on this laptop is damaged (its bytes do not match its hash) and cannot be sent",
        ),
        "reset_loop": (
            "总部反复要求重新同步，已停止本轮同步",
            "HQ keeps asking to restart the pull; this round stopped",
        ),
        "foreign_results": (
            "总部的答复提到了本机没有发送的 {n} 条记录（{ids}）；本批记录均未标记为已同步，下次同步会重新发送。",
            Plural(
                "HQ's answer names {n} record this laptop did not send ({ids}); nothing of this batch was marked "
                "synced, and it will be sent again.",
                "HQ's answer names {n} records this laptop did not send ({ids}); nothing of this batch was marked "
                "synced, and it will be sent again.",
            ),
        ),
        "not_hq_answer": (
            "总部地址 {url} 有应答，但不是 Inspector 总部的应答（可能是酒店、咖啡馆等 Wi-Fi 的登录页）。"
            "照片未标记为已上传，记录都保存在本机；连上正常网络后会自动重试。",
            "The HQ address {url} answered, but not as an Inspector HQ does (perhaps a hotel or café Wi-Fi sign-in "
            "page). No photo was marked uploaded and everything is saved on this laptop; sync will try again later.",
        ),
        "not_hq": (
            "这个地址不是 Inspector 总部（{url}）：请核对总部地址（例如 http://总部电脑IP:8765）后重新绑定",
            "This address is not an Inspector HQ ({url}): "
            "check the HQ address (e.g. http://HQ-IP:8765) and enroll again",
        ),
        "enroll_unreachable": (
            "无法连接总部（{url}）：{detail}。请检查总部地址是否正确、网络是否连通，然后重新运行 inspector enroll",
            "HQ unreachable ({url}): {detail}. Check the HQ address and the network, then run inspector enroll again",
        ),
        "enroll_server_error": (
            "总部暂时出错（HTTP {status}）：{detail}。请稍后重新运行 inspector enroll",
            "HQ had a problem (HTTP {status}): {detail}. Run inspector enroll again later",
        ),
        "summary": (
            "上传 {pushed} 条，重复 {duplicates} 条，冲突 {conflicts} 条，被拒 {rejected} 条，下载 {pulled} 条，"
            "照片上传 {up} 张 / 下载 {down} 张",
            "pushed {pushed}, duplicates {duplicates}, conflicts {conflicts}, rejected {rejected}, pulled {pulled}, "
            "photos {up} up / {down} down",
        ),
        "clock_behind": (
            "注意：本机时钟比总部慢 {n} 分钟，请校正系统时间",
            Plural(
                "warning: this laptop's clock is {n} minute behind HQ; please set the time correctly",
                "warning: this laptop's clock is {n} minutes behind HQ; please set the time correctly",
            ),
        ),
        "clock_ahead": (
            "注意：本机时钟比总部快 {n} 分钟，请校正系统时间",
            Plural(
                "warning: this laptop's clock is {n} minute ahead of HQ; please set the time correctly",
                "warning: this laptop's clock is {n} minutes ahead of HQ; please set the time correctly",
            ),
        ),
    },
)

# HQ's error codes this client words itself, in its own language (HQ's sentence is added as the detail).
HQ_CODES = frozenset(
    {
        "no_token",
        "unknown_token",
        "revoked",
        "bad_code",
        "code_used",
        "code_expired",
        "protocol_mismatch",
        "forbidden",
        "too_large",
    }
)
