// The Vant components the app uses, registered one by one with their own styles (the whole kit would add
// ~500 KB to every phone's first load). A component missing here renders as an unknown element: add it.
import "vant/es/style/base.css";
import { ActionSheet, Button, Cell, CellGroup, Empty, Field, Form, Icon, Loading, NavBar, NoticeBar, Popup, Radio, RadioGroup,
  Switch, Tab, Tabbar, TabbarItem, Tabs, Tag } from "vant";
import "vant/es/action-sheet/style/index.mjs";
import "vant/es/button/style/index.mjs";
import "vant/es/cell/style/index.mjs";
import "vant/es/cell-group/style/index.mjs";
import "vant/es/dialog/style/index.mjs"; // showConfirmDialog (console rules)
import "vant/es/empty/style/index.mjs";
import "vant/es/field/style/index.mjs";
import "vant/es/form/style/index.mjs";
import "vant/es/icon/style/index.mjs";
import "vant/es/loading/style/index.mjs";
import "vant/es/nav-bar/style/index.mjs";
import "vant/es/notice-bar/style/index.mjs";
import "vant/es/popup/style/index.mjs";
import "vant/es/radio/style/index.mjs";
import "vant/es/radio-group/style/index.mjs";
import "vant/es/switch/style/index.mjs";
import "vant/es/tab/style/index.mjs";
import "vant/es/tabbar/style/index.mjs";
import "vant/es/tabbar-item/style/index.mjs";
import "vant/es/tabs/style/index.mjs";
import "vant/es/tag/style/index.mjs";

const COMPONENTS = [ActionSheet, Button, Cell, CellGroup, Empty, Field, Form, Icon, Loading, NavBar, NoticeBar, Popup, Radio,
  RadioGroup, Switch, Tab, Tabbar, TabbarItem, Tabs, Tag];

export default {
  install(app) {
    COMPONENTS.forEach((c) => app.use(c));
  },
};
