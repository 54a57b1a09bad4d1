/** zh-CN first, English as a switch. Keys are short domain phrases; missing English falls back to zh. */

export type Lang = "zh" | "en";

let current: Lang = (() => {
  try {
    return (localStorage.getItem("doorstep.lang") as Lang) || "zh";
  } catch {
    return "zh";
  }
})();

export function lang(): Lang {
  return current;
}

export function setLang(l: Lang): void {
  current = l;
  try {
    localStorage.setItem("doorstep.lang", l);
  } catch {
    /* private mode */
  }
  document.documentElement.lang = l === "zh" ? "zh-CN" : "en";
}

export type Pair = [zh: string, en: string];

const TEXT: Record<string, Pair> = {
  app: ["家门口", "Doorstep"],
  tagline: ["群众诉求服务", "Mass-appeal services"],
  username: ["用户名", "Username"],
  password: ["密码", "Password"],
  login: ["登录", "Log in"],
  logging_in: ["正在登录…", "Logging in…"],
  login_needs_network: ["首次登录需要网络", "The first login needs a network connection"],
  logout: ["退出登录", "Log out"],
  logout_unsent: ["还有 {n} 条修改未同步，退出将永久丢失。确定退出？", "{n} changes are not synced yet and will be lost. Log out anyway?"],
  revoked: ["此设备已被停用，本地数据已清除，请重新登录。", "This device was revoked; local data was wiped. Please log in again."],
  home: ["首页", "Home"],
  disputes: ["矛盾纠纷", "Disputes"],
  new_dispute: ["登记纠纷", "New dispute"],
  edit: ["编辑", "Edit"],
  save: ["保存", "Save"],
  saved: ["已保存，将自动同步", "Saved; it will sync automatically"],
  cancel: ["取消", "Cancel"],
  back: ["返回", "Back"],
  search: ["搜索", "Search"],
  all: ["全部", "All"],
  none: ["无", "None"],
  inbox: ["消息", "Inbox"],
  conflicts: ["冲突", "Conflicts"],
  settings: ["设置", "Settings"],
  outbox: ["待同步", "Unsent"],
  triage: ["分拨研判", "Triage"],
  orders: ["派单", "Dispatch orders"],
  consultations: ["法律咨询", "Consultations"],
  psych: ["心理服务", "Psychology"],
  offline: ["离线模式 · 修改保存在本机", "Offline · changes are kept on this phone"],
  unsent: ["{n} 条未同步", "{n} unsent"],
  rejected_n: ["{n} 条被退回", "{n} rejected"],
  last_sync: ["上次同步 {t}", "Last sync {t}"],
  never_synced: ["尚未同步", "Not synced yet"],
  syncing: ["正在同步…", "Syncing…"],
  syncing_progress: ["正在同步… 已接收 {n} 条", "Syncing… {n} records received"],
  sync_now: ["立即同步", "Sync now"],
  sync_error: ["同步失败：{e}", "Sync failed: {e}"],
  update_ready: ["有新版本可用", "A new version is available"],
  reload: ["重新加载", "Reload"],
  title: ["标题", "Title"],
  category: ["类别", "Category"],
  service_type: ["服务类型", "Service"],
  channel: ["来源渠道", "Channel"],
  description: ["情况描述", "Description"],
  parties: ["当事人", "Parties"],
  party_name: ["姓名", "Name"],
  party_phone: ["电话", "Phone"],
  party_role: ["身份", "Role"],
  add_party: ["添加当事人", "Add party"],
  remove: ["移除", "Remove"],
  risk_level: ["风险等级", "Risk level"],
  status: ["状态", "Status"],
  address: ["地址", "Address"],
  location: ["位置", "Location"],
  capture_gps: ["获取定位", "Capture GPS"],
  gps_failed: ["定位失败：{e}", "Could not get location: {e}"],
  photos: ["照片", "Photos"],
  take_photo: ["拍照/选图", "Take photo"],
  photo_processing: ["正在压缩照片…", "Compressing photo…"],
  tags: ["标签（逗号分隔）", "Tags (comma separated)"],
  tags_label: ["标签", "Tags"],
  follow_up_at: ["下次回访", "Next follow-up"],
  resolution_summary: ["化解情况", "Resolution summary"],
  assignee: ["承办人", "Assignee"],
  created_at: ["登记时间", "Recorded"],
  visits: ["走访记录", "Visits"],
  add_visit: ["添加走访", "Add visit"],
  visited_at: ["走访时间", "Visited at"],
  kind: ["方式", "Kind"],
  notes: ["记录", "Notes"],
  outcome: ["结果", "Outcome"],
  refer_lawyer: ["转介律师", "Refer to lawyer"],
  refer_psych: ["转介心理咨询", "Refer to psychologist"],
  referred_to: ["已转介给 {who}", "Referred to {who}"],
  lawyer: ["律师", "Lawyer"],
  psychologist: ["心理咨询师", "Psychologist"],
  preferred_time: ["希望时间", "Preferred time"],
  client_ref: ["来访者代号（勿填真实姓名）", "Client pseudonym (no real name)"],
  pending: ["未同步", "unsent"],
  no_records: ["暂无记录", "Nothing here yet"],
  required: ["必填", "required"],
  dispatch: ["派单", "Dispatch"],
  issue_order: ["发出派单", "Issue order"],
  department: ["职能部门", "Department"],
  required_leader_level: ["到场领导级别", "Required leader level"],
  arrive_by: ["到场时限", "Arrive by"],
  resolve_by: ["化解时限", "Resolve by"],
  summary: ["事项", "Summary"],
  acknowledge: ["签收", "Acknowledge"],
  check_in: ["到场签到", "Check in"],
  leader_name: ["到场领导姓名", "Leader's name"],
  leader_level: ["到场领导级别", "Leader's level"],
  resolve: ["办结", "Resolve"],
  resolution_note: ["办理情况", "Resolution note"],
  verify: ["验收通过", "Verify"],
  reopen: ["退回重办", "Reopen"],
  rating: ["评价（1-5）", "Rating (1–5)"],
  overdue: ["已超时", "Overdue"],
  escalation: ["督办层级", "Escalated to"],
  arrival: ["到场情况", "Arrival"],
  arrival_reported_at: ["上报到场时间", "Reported arrival time"],
  arrival_received_at: ["服务器收到时间", "Received by the server"],
  arrival_distance: ["距现场", "Distance from the site"],
  metres: ["{n} 米", "{n} m"],
  checkin_pending: ["待核实：签到时间或位置与现场不符，请社区核实", "To be verified: the check-in's time or place does not match; the community verifies it"],
  checkin_verified: ["签到已核实", "Check-in verified"],
  verify_checkin: ["核实签到", "Verify the check-in"],
  below_level: ["到场领导级别低于要求", "Leader below the required level"],
  client_name: ["咨询人", "Client"],
  client_phone: ["联系电话", "Phone"],
  topic: ["咨询类别", "Topic"],
  question: ["咨询问题", "Question"],
  advice: ["解答意见", "Advice"],
  referral: ["后续处理", "Referral"],
  duration_minutes: ["时长（分钟）", "Duration (min)"],
  consulted_at: ["咨询时间", "Consulted at"],
  linked_dispute: ["关联纠纷", "Linked dispute"],
  new_consultation: ["新增咨询", "New consultation"],
  month_summary: ["本月小结", "This month"],
  month_count: ["本月 {n} 次咨询，共 {m} 分钟", "{n} consultations, {m} minutes this month"],
  week: ["本周", "This week"],
  prev_week: ["上一周", "Previous week"],
  next_week: ["下一周", "Next week"],
  new_slot: ["新增可预约时段", "Add availability"],
  starts_at: ["开始", "Starts"],
  ends_at: ["结束", "Ends"],
  room: ["咨询室", "Room"],
  slot: ["可预约", "Open slot"],
  book: ["预约", "Book"],
  session: ["咨询", "Session"],
  schedule: ["确认排期", "Schedule"],
  reschedule: ["改期", "Reschedule"],
  complete: ["完成", "Complete"],
  no_show: ["未到", "No-show"],
  private_notes: ["咨询记录（仅本人可见）", "Private notes (only you)"],
  risk_flag: ["风险评估", "Risk flag"],
  slot_taken: ["该时段已被占用", "That time is taken"],
  pick_suggestion: ["可选择以下空闲时段：", "Pick one of these free slots:"],
  no_suggestions: ["暂无空闲时段建议", "No free slots suggested"],
  acknowledged: ["已确认", "Acknowledged"],
  mark_read: ["标为已读", "Mark read"],
  warnings: ["预警", "Warnings"],
  notifications: ["通知", "Notifications"],
  open: ["查看", "Open"],
  conflict_field: ["字段", "Field"],
  base: ["原值", "Base"],
  theirs: ["对方的值", "Theirs"],
  yours: ["我的值", "Yours"],
  keep_theirs: ["采用对方", "Keep theirs"],
  keep_yours: ["采用我的", "Keep mine"],
  edit_value: ["另填一个值", "Edit a value"],
  resolve_with: ["以此值解决", "Resolve with this"],
  resolved: ["已解决", "Resolved"],
  open_conflicts: ["{n} 个冲突待处理", "{n} open conflicts"],
  keep_record: ["保留记录", "Keep the record"],
  delete_record: ["删除记录", "Delete the record"],
  rejected: ["被退回的修改", "Rejected changes"],
  unsent_changes: ["等待上传的修改", "Changes waiting to upload"],
  dismiss: ["忽略", "Dismiss"],
  retry: ["修改后重试", "Edit and retry"],
  push: ["消息推送", "Push notifications"],
  push_on: ["开启推送", "Turn on push"],
  push_off: ["关闭推送", "Turn off push"],
  push_enabled: ["推送已开启", "Push is on"],
  push_unsupported: ["此浏览器不支持推送", "Push is not supported here"],
  push_denied: ["通知权限被拒绝", "Notification permission denied"],
  language: ["语言 / Language", "Language / 语言"],
  account: ["账号", "Account"],
  storage_persisted: ["本地数据已持久保存", "Local data is persisted"],
  not_found: ["找不到该记录（可能尚未同步）", "Record not found (maybe not synced yet)"],
  my_items: ["我的工作", "My work"],
  open_count: ["{n} 件", "{n}"],
  confirm_delete: ["确定删除？", "Delete this?"],
  delete: ["删除", "Delete"],
  countdown_arrive: ["到场", "Arrival"],
  countdown_resolve: ["办结", "Resolution"],
  quick_resume: ["欢迎回来，{name}", "Welcome back, {name}"],
  filters: ["筛选", "Filters"],
  requested_sessions: ["待排期的转介", "Referrals to schedule"],
  from_dispute: ["来自纠纷", "From dispute"],
  conflict_kind_delete_vs_edit: ["对方修改了您删除的记录", "Someone edited a record you deleted"],
  conflict_kind_edit_vs_delete: ["您修改的记录已被对方删除", "You edited a record someone deleted"],
  by: ["由 {who}", "by {who}"],
  now: ["现在", "now"],
  choose: ["请选择", "Choose…"],
  session_expired: ["登录已过期，请重新登录。未同步的修改会保留。", "Your session expired; please log in again. Unsent changes are kept."],
  other_user_unsent: ["本机还有 {who} 的 {n} 条未同步修改，换账号登录将清除它们。继续？", "{n} unsent changes of {who} are on this phone and will be wiped if you log in as someone else. Continue?"],
  grid: ["网格", "Grid"],
  change_status_to: ["将状态改为「{s}」", "Change status to “{s}”"],
  status_changed: ["状态已改为「{s}」", "Status changed to “{s}”"],
  confirm_final_status: ["改为「{s}」后不能再变更，确定吗？", "After “{s}” the status cannot change again. Continue?"],
  pending_conflict_hint: ["此纠纷有待处理的修改冲突（{f}），点此处理", "This dispute has an open edit conflict ({f}); tap to resolve"],
  not_synced_yet: ["本机时间，未同步", "local time, not synced yet"],
  risk_high: ["风险等级 橙色及以上", "Risk orange or red"],
  conflict_on: ["冲突记录：{what}", "Conflict on: {what}"],
  about: ["涉及：{what}", "About: {what}"],
  warning: ["预警", "Warning"],
  source: ["来源", "Source"],
  push_failed: ["开启推送失败，请检查浏览器的通知设置后重试", "Could not turn on push; check the browser's notification settings and try again"],
  push_unavailable: ["推送服务暂时不可用，请稍后再试", "The push service is unavailable; try again later"],
  slot_booked: ["已约满", "Booked"],
  switch_user: ["切换用户", "Switch user"],
  pin: ["PIN", "PIN"],
  enter_pin: ["输入 PIN", "Enter PIN"],
  unlock: ["解锁", "Unlock"],
  pin_wrong: ["PIN 不正确，还可尝试 {n} 次", "Wrong PIN; {n} tries left"],
  pin_locked_out: ["错误次数过多，请用密码登录（需要网络）", "Too many wrong PINs; log in with your password (needs a network)"],
  tablet_pick_user: ["请选择您的账号", "Choose your account"],
  tablet_locked: ["共享设备 · 已锁定", "Shared device · locked"],
  notice_for_other: ["这条通知属于 {name}，请切换到该用户后查看", "This notification is for {name}; switch to that user to view it"],
  notice_for_unknown: ["这条通知属于另一位用户，请该用户登录后查看", "This notification is for another user; they need to log in to view it"],
  other_user_login: ["其他账号登录", "Log in as someone else"],
  shared_device: ["共享设备（大厅平板）", "Shared device (hall tablet)"],
  shared_device_hint: ["设置 PIN 后，可在本机切换用户：您的记录和未同步修改留在本机，只有输入您的 PIN 才能再次打开。", "With a PIN, people can take turns on this device: your records and unsent changes stay here and open again only with your PIN."],
  set_pin: ["设置 PIN（4-8 位数字）", "Set a PIN (4–8 digits)"],
  pin_saved: ["PIN 已设置，可切换用户", "PIN set; you can switch users now"],
  pin_format: ["PIN 须为 4-8 位数字", "The PIN must be 4–8 digits"],
  community: ["社区", "Community"],
};

/** Shown for rejected mutations and sync failures (error.code → text). */
const ERRORS: Record<string, Pair> = {
  forbidden: ["没有权限进行此操作", "You may not do this"],
  validation: ["内容不符合要求", "Some values are not valid"],
  unknown_collection: ["未知的数据类型", "Unknown collection"],
  unknown_field: ["未知的字段", "Unknown field"],
  immutable_field: ["该字段创建后不可修改", "This field cannot change after creation"],
  read_only_field: ["该字段只能由系统填写", "This field is written by the server only"],
  invalid_transition: ["当前状态不允许这样变更", "This status change is not allowed now"],
  slot_taken: ["该时段已被占用", "That time slot is taken"],
  seq_gap: ["同步序号不连续，请联系管理员", "Sync sequence gap; contact an administrator"],
  not_found: ["记录不存在或已删除", "The record does not exist or was deleted"],
  offline: ["无网络连接", "No network"],
  invalid_credentials: ["用户名或密码错误", "Wrong username or password"],
  too_many_attempts: ["尝试次数过多，请稍后再试", "Too many attempts; try again later"],
  upgrade_required: ["应用版本过旧，请重新加载", "This app version is too old; please reload"],
  too_many_mutations: ["一次提交过多", "Too many changes in one request"],
  token_expired: ["登录已过期", "Session expired"],
  device_revoked: ["设备已停用", "Device revoked"],
  no_progress: ["服务器未处理修改，稍后重试", "The server did not take the changes; retrying later"],
  unknown: ["未知错误", "Unknown error"],
};

/**
 * Each feature keeps its own strings beside its screens (e.g. `screens/command/text.ts`) and adds
 * them here at import time, so features do not all edit one dictionary. A key defined twice is a
 * mistake: the first definition wins and the console says so.
 */
export function addText(entries: Record<string, Pair>): void {
  for (const [key, pair] of Object.entries(entries)) {
    if (TEXT[key]) console.warn(`i18n: key "${key}" is already defined`);
    else TEXT[key] = pair;
  }
}

export function t(key: string, params: Record<string, string | number> = {}): string {
  const pair = TEXT[key];
  let s = pair ? (current === "zh" ? pair[0] : pair[1] || pair[0]) : key;
  for (const [k, v] of Object.entries(params)) s = s.replace(`{${k}}`, String(v));
  return s;
}

export function errorText(code: string | undefined, fallback?: string): string {
  const pair = code ? ERRORS[code] : undefined;
  if (pair) return current === "zh" ? pair[0] : pair[1];
  if (code?.startsWith("http_5")) return current === "zh" ? "服务器暂时不可用" : "Server unavailable";
  return fallback || code || t("none");
}

/** Labels for enum values, by field name (the same names mean the same things everywhere). */
const ENUMS: Record<string, Record<string, Pair>> = {
  risk_level: {
    blue: ["蓝色（低）", "Blue (low)"], yellow: ["黄色", "Yellow"], orange: ["橙色", "Orange"], red: ["红色（高）", "Red (high)"],
    none: ["无", "None"], low: ["低", "Low"], medium: ["中", "Medium"], high: ["高", "High"], critical: ["危急", "Critical"],
  },
  level: { blue: ["蓝色", "Blue"], yellow: ["黄色", "Yellow"], orange: ["橙色", "Orange"], red: ["红色", "Red"] },
  "disputes.status": {
    registered: ["已登记", "Registered"], mediating: ["调解中", "Mediating"], escalated: ["已上报", "Escalated"],
    resolved: ["已化解", "Resolved"], closed: ["已办结", "Closed"], withdrawn: ["已撤回", "Withdrawn"],
  },
  "psych_sessions.status": {
    requested: ["待排期", "Requested"], scheduled: ["已预约", "Scheduled"], completed: ["已完成", "Completed"],
    cancelled: ["已取消", "Cancelled"], no_show: ["未到", "No-show"],
  },
  "dispatch_orders.status": {
    issued: ["已派单", "Issued"], acknowledged: ["已签收", "Acknowledged"], arrived: ["已到场", "Arrived"],
    resolved: ["已办结", "Resolved"], verified: ["已验收", "Verified"], reopened: ["退回重办", "Reopened"],
  },
  "psych_slots.status": { open: ["可预约", "Open"], blocked: ["停约", "Blocked"] },
  "conflicts.status": { open: ["待处理", "Open"], resolved: ["已解决", "Resolved"] },
  service_type: {
    dispute: ["纠纷化解", "Dispute resolution"], legal: ["公共法律", "Legal service"], psych: ["社会心理", "Psychology"],
    complaint: ["投诉建议", "Complaint/suggestion"], assistance: ["帮扶救助", "Assistance"],
  },
  channel: {
    door_to_door: ["入户走访", "Door to door"], hall: ["服务大厅", "Hall"], station: ["服务站点", "Station"], app: ["线上", "App"], hotline: ["热线", "Hotline"],
  },
  category: {
    neighbour: ["邻里纠纷", "Neighbours"], family: ["婚姻家庭", "Family"], labour_wages: ["劳资欠薪", "Labour & wages"],
    property_rental: ["物业租赁", "Property & rental"], land_demolition: ["征地拆迁", "Land & demolition"], consumer: ["消费纠纷", "Consumer"],
    traffic: ["交通事故", "Traffic"], environment: ["环境污染", "Environment"], other: ["其他", "Other"],
  },
  kind: {
    visit: ["入户走访", "Visit"], mediation: ["调解", "Mediation"], phone: ["电话回访", "Phone"], referral: ["转介", "Referral"],
    field: ["字段冲突", "Field"], delete_vs_edit: ["删除/修改", "Delete vs edit"], edit_vs_delete: ["修改/删除", "Edit vs delete"], state: ["状态冲突", "State"],
    district: ["区", "District"], street: ["街道", "Street"], community: ["社区", "Community"], station: ["站点", "Station"], grid: ["网格", "Grid"], department: ["职能部门", "Department"], room: ["咨询室", "Room"],
  },
  outcome: {
    none: ["暂无", "None"], agreement_reached: ["达成协议", "Agreement"], no_agreement: ["未达成", "No agreement"], referred: ["已转介", "Referred"],
  },
  topic: {
    labour: ["劳动", "Labour"], marriage_family: ["婚姻家庭", "Marriage & family"], housing_property: ["房产物业", "Housing"],
    contract_debt: ["合同债务", "Contract & debt"], traffic_injury: ["交通人损", "Traffic injury"], administrative: ["行政", "Administrative"],
    criminal: ["刑事", "Criminal"], other: ["其他", "Other"],
  },
  referral: {
    none: ["无需后续", "None"], legal_aid: ["法律援助", "Legal aid"], mediation: ["人民调解", "Mediation"],
    judicial_confirmation: ["司法确认", "Judicial confirmation"], litigation: ["诉讼", "Litigation"], arbitration: ["仲裁", "Arbitration"],
  },
  required_leader_level: {
    staff: ["工作人员", "Staff"], section: ["科级", "Section"], deputy_division: ["副处级", "Deputy division"],
    division: ["处级", "Division"], deputy_bureau: ["副局级", "Deputy bureau"], bureau: ["局级", "Bureau"],
  },
  escalation_level: { community: ["社区", "Community"], street: ["街道", "Street"], district: ["区", "District"] },
  source: { dispute: ["纠纷", "Dispute"], psych: ["心理", "Psychology"], dispatch_overdue: ["派单超时", "Overdue order"], manual: ["人工", "Manual"] },
  role: {
    grid_worker: ["网格员", "Grid worker"], lawyer: ["驻社区律师", "Lawyer"], psychologist: ["心理咨询师", "Psychologist"],
    community_admin: ["社区诉求服务大厅", "Community admin"], department_officer: ["职能部门", "Department officer"],
    street_admin: ["街道", "Street admin"], district_admin: ["区", "District admin"],
  },
};
ENUMS["leader_level"] = ENUMS["required_leader_level"]!;
ENUMS["collection"] = {
  disputes: ["纠纷", "Dispute"], visits: ["走访", "Visit"], consultations: ["法律咨询", "Consultation"], psych_slots: ["可预约时段", "Slot"],
  psych_sessions: ["心理咨询", "Session"], dispatch_orders: ["派单", "Order"], warnings: ["预警", "Warning"], notifications: ["通知", "Notification"],
  conflicts: ["冲突", "Conflict"],
};

export function enumLabel(collection: string, field: string, value: unknown): string {
  if (value === undefined || value === null || value === "") return "—";
  const pair = ENUMS[`${collection}.${field}`]?.[String(value)] ?? ENUMS[field]?.[String(value)];
  return pair ? (current === "zh" ? pair[0] : pair[1]) : String(value);
}

/** What is wrong with a value, next to its input ({f} is the field's label). */
const PROBLEMS: Record<string, Pair> = {
  required: ["请填写{f}", "{f} is required"],
  not_text: ["{f}须为文字", "{f} must be text"],
  too_long: ["{f}最多 {max} 个字", "{f} must be at most {max} characters"],
  one_line: ["{f}不能换行", "{f} must be a single line"],
  nul: ["{f}含有无效字符", "{f} contains an invalid character"],
  not_integer: ["{f}须为整数", "{f} must be a whole number"],
  out_of_range: ["{f}须在 {min} 到 {max} 之间", "{f} must be between {min} and {max}"],
  not_boolean: ["{f}须为是或否", "{f} must be yes or no"],
  datetime: ["{f}不是有效的时间", "{f} is not a valid time"],
  enum: ["请从列表中选择{f}", "Choose {f} from the list"],
  ref: ["请重新选择{f}", "Choose {f} again"],
  geo: ["{f}数据无效，请重新定位", "{f} is not valid; capture it again"],
  list: ["{f}格式不对", "{f} is not a list"],
  too_many: ["{f}最多 {max} 项", "{f} can hold at most {max} items"],
  item: ["{f}中有一项不符合要求（每项最多 {max} 个字）", "An item of {f} is not valid (at most {max} characters each)"],
  duplicates: ["{f}有重复项", "{f} has duplicate items"],
  json: ["{f}内容过长", "{f} is too long"],
  unknown_field: ["{f}不是可填写的内容", "{f} cannot be filled in"],
  read_only: ["{f}由系统填写", "{f} is filled in by the system"],
  immutable: ["{f}登记后不能修改", "{f} cannot change after creation"],
  ends_before_starts: ["结束时间须晚于开始时间", "The end must be after the start"],
  deadline_order: ["化解时限不能早于到场时限", "Resolve-by cannot be before arrive-by"],
  deadline_past: ["{f}已经过去，请选择将来的时间", "{f} has passed; choose a later time"],
};

export function problemText(p: { kind: string; max?: number; min?: number }, label: string): string {
  const pair = PROBLEMS[p.kind] ?? PROBLEMS["enum"]!;
  let s = current === "zh" ? pair[0] : pair[1];
  s = s.replace("{f}", label).replace("{max}", String(p.max ?? "")).replace("{min}", String(p.min ?? ""));
  if (p.kind === "item" && p.max === undefined) s = s.replace(/（.*）| \(.*\)/, "");
  return s;
}

/** Field names for the conflicts screen. */
export function fieldLabel(field: string | null | undefined): string {
  if (!field) return t("status");
  const map: Record<string, string> = { tags: "tags_label", leader_name: "leader_name", psychologist_id: "psychologist", department_id: "department", room_id: "room", grid_id: "grid", assignee_id: "assignee", community_id: "community", dispute_id: "linked_dispute" };
  return TEXT[map[field] ?? field] ? t(map[field] ?? field) : field;
}
