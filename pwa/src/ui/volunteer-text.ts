/** Strings of the volunteer screens (随手拍, my points and awards, joining, answering reports). */
import { addText, t } from "./i18n";

addText({
  vol_reports: ["随手拍", "Reports"],
  vol_my_reports: ["我的随手拍", "My reports"],
  vol_new_report: ["随手拍上报", "New report"],
  vol_points_awards: ["积分与奖励", "Points and awards"],
  vol_kind: ["类型", "Kind"],
  vol_kind_hazard: ["安全隐患", "Hazard"],
  vol_kind_lead: ["矛盾线索", "Lead"],
  vol_what: ["发现了什么", "What did you see"],
  vol_details: ["详细情况", "Details"],
  vol_address: ["地点", "Place"],
  vol_saved_offline: ["已保存，联网后自动上报", "Saved; it is sent when the phone is online"],
  vol_status_submitted: ["已上报，待处理", "Submitted"],
  vol_status_accepted: ["已受理（已立案）", "Accepted (now a case)"],
  vol_status_merged: ["已合并处理", "Merged with another report"],
  vol_status_dismissed: ["未予受理", "Dismissed"],
  vol_reason: ["处理说明", "Reason"],
  vol_points: ["积分", "Points"],
  vol_total_points: ["累计积分", "Total points"],
  vol_awards: ["奖励", "Awards"],
  vol_awarded: ["已获奖励", "Awarded"],
  vol_paid: ["已发放", "Paid"],
  vol_no_awards: ["暂无奖励", "No awards yet"],
  vol_offline_copy: ["离线显示上次的数据（{t}）", "Offline: showing the last copy ({t})"],
  vol_leaderboard: ["本社区积分榜", "Community leaderboard"],
  vol_show_name: ["在积分榜上显示我的名字", "Show my name on the leaderboard"],
  vol_join: ["加入平安志愿者", "Join as a safety volunteer"],
  vol_join_code: ["邀请码", "Invite code"],
  vol_display_name: ["姓名", "Name"],
  vol_joined: ["注册成功，请登录", "You have joined; please log in"],
  vol_have_code: ["有邀请码？加入平安志愿者", "Have an invite code? Join as a volunteer"],
  vol_accept: ["受理并立案", "Accept and open a case"],
  vol_merge: ["合并到重复的上报", "Merge into a duplicate"],
  vol_dismiss: ["不予受理", "Dismiss"],
  vol_merge_into: ["重复的上报", "The report it duplicates"],
  vol_reason_needed: ["请写明原因（志愿者可见）", "Say why (the volunteer reads it)"],
  vol_answered: ["已处理", "Answered"],
  vol_step_award: ["发放奖励", "Awarded"],
  vol_step_reverse: ["冲正撤销", "Reversed"],
  vol_step_batch_proposed: ["社区提交发放批次", "Batch proposed by the community"],
  vol_step_batch_approved: ["街道审核通过", "Approved by the street"],
  vol_step_batch_exported: ["导出发放清单", "Sheet sent to finance"],
  vol_step_paid: ["已发放", "Paid"],
});

/** Fen as yuan with two decimals: 12345 → "¥123.45" (integers only, no floating point). */
export function yuan(fen: number): string {
  const sign = fen < 0 ? "-" : "";
  const abs = Math.abs(Math.trunc(fen));
  return `${sign}¥${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, "0")}`;
}

export function reportStatus(status: unknown): string {
  return t(`vol_status_${String(status ?? "submitted")}`);
}

export function reportKind(kind: unknown): string {
  return kind === "lead" ? t("vol_kind_lead") : t("vol_kind_hazard");
}
