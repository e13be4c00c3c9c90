// UI strings: Simplified Chinese by default, English on request (?lang=en or the toggle).
window.I18N = {
  zh: {
    app_title: "作战地图", logout: "退出", login_title: "登录", email: "邮箱", password: "密码", login: "登录",
    use_location: "使用我的定位", simulate: "模拟到某客户附近…", nearby: "附近客户",
    connected: "在线", disconnected: "离线", you_are_at: "当前位置", accuracy: "精度",
    context: "客户情报", notices: "近三个月采购公告", contacts: "关键联系人", talk_tracks: "推荐话术",
    objections: "常见异议与应答", counters: "竞品应对锦囊", why: "为什么推荐这些", no_items: "暂无",
    meters: "米", consent_missing: "未获授权，背景信息已隐藏", pack: "作战包", variant: "版本",
    no_places: "附近暂无客户", location_denied: "无法获取定位：", close: "关闭",
    errors: {
      invalid_credentials: "邮箱或密码错误", rate_limited: "尝试次数过多，请稍后再试",
      token_expired: "登录已过期，请重新登录", token_invalid: "登录无效，请重新登录",
      malformed_request: "请求格式有误", invalid_values: "填写的内容有误", internal_error: "服务器开小差了，请稍后再试",
    },
  },
  en: {
    app_title: "Battlemap", logout: "Log out", login_title: "Log in", email: "Email", password: "Password",
    login: "Log in", use_location: "Use my location", simulate: "Simulate being near a client…",
    nearby: "Nearby clients", connected: "online", disconnected: "offline", you_are_at: "You are at",
    accuracy: "accuracy", context: "Client context", notices: "Procurement notices (3 months)",
    contacts: "Key contacts", talk_tracks: "Talk-tracks", objections: "Objections and answers",
    counters: "Competitor counters", why: "Why you see this", no_items: "None", meters: "m",
    consent_missing: "No consent: background hidden", pack: "Pack", variant: "variant",
    no_places: "No clients nearby", location_denied: "Location unavailable: ", close: "Close",
    errors: {},
  },
};
