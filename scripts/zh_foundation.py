"""Fill the zh catalogs of the foundation domains (run once after `make i18n-extract`)."""
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ZH = {
 'No such permission.': '没有这项权限。',
 'Not found.': '找不到。',
 'Your role here does not allow this.': '您在这里的角色不允许此操作。',
 'No such union.': '没有这个工会。',
 'You may only grant or revoke roles whose permissions you hold here yourself.': '您只能授予或撤销自己在这里具备其全部权限的角色。',
 'Beyond your own rights here: %(p)s.': '超出您在这里的权限：%(p)s。',
 'No such role: %(r)s.': '没有这个角色：%(r)s。',
 'This role cannot be given at a union of this kind.': '这类工会不能授予这个角色。',
 '%(user)s already holds this role here.': '%(user)s 在这里已经拥有这个角色。',
 'This grant was already revoked.': '这项授权已经撤销。',
 'Not allowed.': '不允许。',
 'No such grant.': '没有这项授权。',
 'Management rights': '管理权限',
 'Audit log': '操作日志',
 '%(user)s is now %(role)s here.': '%(user)s 现在是这里的%(role)s。',
 'Revoked %(role)s of %(user)s.': '已撤销 %(user)s 的%(role)s角色。',
 'Every change in this union and the unions below it: %(n)d entries.': '本工会及其下级工会的全部变更：共 %(n)d 条。',
 'When': '时间', 'Who': '操作人', 'What': '操作', 'Where': '工会', 'Detail': '详情',
 'Nothing yet.': '暂无记录。', 'Previous page': '上一页', 'Next page': '下一页',
 'Management rights here': '本工会的管理权限',
 'This union': '仅本工会', 'This union and all below it': '本工会及全部下级',
 'granted by %(who)s, %(when)s': '由 %(who)s 于 %(when)s 授予',
 'why?': '为什么？', 'Revoke': '撤销',
 'Nobody holds a role at this union itself.': '本工会本级还没有人担任角色。',
 'Inherited from the unions above': '继承自上级工会',
 'Grant a role': '授予角色', 'Username': '用户名', 'Role': '角色',
 'A role given here holds in this union and every union below it. You can only give roles whose rights you hold here yourself.':
   '在这里授予的角色在本工会及其全部下级工会有效。您只能授予自己在这里具备其全部权限的角色。',
 'Grant': '授予', 'There is no role you may give at this union.': '您在本工会没有可以授予的角色。',
 'Why may someone do something here?': '某人为什么能在这里做某事？',
 'Permission': '权限', 'Explain': '查询原因',
 '%(user)s may “%(perm)s” here because of the role %(role)s granted at %(tenant)s by %(by)s.':
   '%(user)s 可以在这里“%(perm)s”，因为 %(by)s 在 %(tenant)s 授予了其“%(role)s”角色。',
 '%(user)s may not “%(perm)s” here: no grant gives it.': '%(user)s 不能在这里“%(perm)s”：没有任何授权给予此权限。',
 'Wrong username or password.': '用户名或密码错误。',
 'Sign in first: send Authorization: Bearer <token>.': '请先登录：请求需携带 Authorization: Bearer <token>。',
 'No user named %(name)s.': '没有名为 %(name)s 的用户。', 'No such user.': '没有这个用户。',
 'Use at least %(n)d characters.': '至少需要 %(n)d 个字符。', 'Use at most 128 characters.': '最多 128 个字符。',
 'Too easy to guess: avoid names, dates, common words and simple patterns; a few unrelated words make a strong password.':
   '太容易被猜到：请避免姓名、日期、常见词和简单规律；几个不相关的词组合起来就是强密码。',
 '3 to 32 letters, digits, dots, hyphens or underscores, starting with a letter or digit.':
   '3 到 32 位字母、数字、点、连字符或下划线，以字母或数字开头。',
 'A mainland mobile number has 11 digits and starts with 1.': '大陆手机号为 11 位数字，以 1 开头。',
 'Please correct the marked fields.': '请修改标出的字段。',
 'The username %(name)s is taken.': '用户名 %(name)s 已被占用。', 'Already taken.': '已被占用。',
 'Welcome, %(name)s! Your account is ready.': '欢迎，%(name)s！您的账号已创建。',
 'My account': '我的账号', 'Unions I manage': '我管理的工会',
 "You hold no management role. A union's administrator can grant you one.": '您还没有管理角色，可请工会管理员为您授权。',
 'Sign in': '登录', 'Password': '密码', 'Keep me signed in on this device': '在这台设备上保持登录',
 'No account yet?': '还没有账号？', 'Register': '注册', 'Create your account': '创建账号',
 'One account for every union on the platform. You verify your real name when you join a union.':
   '一个账号通行平台上的所有工会。加入工会时再进行实名认证。',
 '3 to 32 letters, digits, dots, hyphens or underscores.': '3 到 32 位字母、数字、点、连字符或下划线。',
 'Name shown to others': '显示名称', 'Mobile number (optional)': '手机号（选填）',
 'At least 8 characters; a few unrelated words are strong and easy to remember.': '至少 8 个字符；几个不相关的词组合起来既安全又好记。',
 'Already registered?': '已有账号？',
 'The body is not valid JSON.': '请求体不是合法的 JSON。',
 'Union created': '创建工会', 'Union edited': '编辑工会', 'Union archived': '归档工会', 'Union restored': '恢复工会',
 'Union moved': '移动工会', 'Sub-unions imported': '导入下级工会', 'Role granted': '授予角色', 'Role revoked': '撤销角色',
 "Grant refused (beyond the granter's rights)": '拒绝授权（超出授权人的权限）',
 "Revoke refused (beyond the revoker's rights)": '拒绝撤销（超出撤销人的权限）',
 'Bad request': '请求有误', 'Sign-in required': '需要登录', 'Not allowed': '不允许', 'Not found': '找不到',
 'Method not allowed': '不支持的请求方法', 'Conflict': '冲突', 'Upload too large': '上传文件过大', 'Invalid input': '输入有误',
 'Too many attempts': '尝试次数过多', 'Server error': '服务器错误',
 'Too many failed attempts. Please wait a few minutes and try again.': '失败次数过多，请等几分钟再试。',
 'No such job.': '没有这个任务。', "Workers' Home": '职工之家', 'Platform': '平台', 'Sign out': '退出',
 'One platform for every union of the district': '全区各级工会共用一个平台',
 'Back to the home page': '返回首页', 'Working…': '处理中…', 'Done': '已完成', 'It did not work': '处理失败', 'Back': '返回',
 'No union you may add sub-unions to has this address.': '没有您可以在其下添加下级工会的此地址的工会。',
 'The file is larger than 8 MB.': '文件超过 8 MB。', 'Not a UTF-8 YAML file.': '不是 UTF-8 编码的 YAML 文件。',
 'Expected a list of sub-unions, or a mapping with children.': '应为下级工会列表，或带 children 的映射。',
 'Federation': '总工会', 'Street / town union': '街道（乡镇）工会', 'Community / village union': '社区（村）工会',
 'Enterprise union': '企业工会', 'Partner organisation': '合作机构', 'Active': '正常', 'Archived': '已归档',
 'Use 1 to 63 lowercase letters, digits and hyphens.': '请使用 1 到 63 位小写字母、数字和连字符。',
 'Digits, spaces, + and - only (5 to 20).': '只能包含数字、空格、+ 和 -（5 到 20 位）。',
 'The address %(slug)s is taken.': '地址 %(slug)s 已被占用。',
 'A sub-union cannot be a federation.': '下级工会不能是总工会。',
 'An archived union cannot take new sub-unions.': '已归档的工会不能新增下级工会。',
 'A federation cannot be archived here; ask the platform operator.': '总工会不能在这里归档，请联系平台运营方。',
 'Archive or move its %(n)d active sub-unions first.': '请先归档或移走其 %(n)d 个正常的下级工会。',
 'Restore the parent union first.': '请先恢复上级工会。', 'A federation cannot be moved.': '总工会不能移动。',
 'A union cannot move to another federation.': '工会不能移到另一个总工会下。', 'Another federation.': '属于另一个总工会。',
 'A union cannot move into its own subtree.': '工会不能移到自己的下级之下。', 'Inside the union being moved.': '位于要移动的工会之内。',
 '%(where)s: expected a mapping with slug, name and kind.': '%(where)s：应为包含 slug、name 和 kind 的映射。',
 '%(where)s: slug must be 1 to 63 lowercase letters, digits and hyphens.': '%(where)s：slug 须为 1 到 63 位小写字母、数字和连字符。',
 '%(where)s: slug appears twice.': '%(where)s：slug 重复出现。',
 '%(where)s: name must be 1 to 120 characters.': '%(where)s：名称须为 1 到 120 个字符。',
 '%(where)s: kind must be one of %(kinds)s (federation only at the top).': '%(where)s：kind 须为 %(kinds)s 之一（federation 只能在顶层）。',
 '%(where)s: children must be a list.': '%(where)s：children 须为列表。',
 'Expected a non-empty list of sub-unions.': '应为非空的下级工会列表。',
 'The tree file has %(n)d problems.': '组织树文件有 %(n)d 处问题。',
 '%(name)s was created.': '已创建%(name)s。', 'Saved.': '已保存。', 'Moved.': '已移动。', 'Choose a YAML file.': '请选择一个 YAML 文件。',
 'No user with this name: ask them to register first.': '没有这个用户名：请对方先注册。',
 '%(name)s was created; %(user)s administers it.': '已创建%(name)s，由 %(user)s 管理。',
 'Sub-unions': '下级工会', 'Breadcrumb': '位置', 'Show sub-unions': '展开下级工会', '%(n)d below': '下级 %(n)d 个',
 'Show more': '显示更多', 'Federations': '总工会', 'Federations on the platform': '平台上的总工会', 'No federation yet.': '还没有总工会。',
 'New federation': '新建总工会', 'Name': '名称', 'Address (used in links)': '地址（用于链接）',
 'Username of its first administrator': '首位管理员的用户名', 'They must have registered already.': '对方须已注册。',
 'Contact person': '联系人', 'Phone': '电话', 'Create federation': '创建总工会',
 'Every union of the district on one platform: find yours, join, and take part in what every level offers.':
   '全区各级工会都在一个平台上：找到您的工会，加入它，参加各级工会提供的活动和服务。',
 'Search a union by name': '按名称搜索工会', 'Search': '搜索', 'Unions matching “%(q)s”': '与“%(q)s”匹配的工会',
 'No union matches.': '没有匹配的工会。', '%(n)d sub-unions': '%(n)d 个下级工会', 'No sub-unions yet.': '还没有下级工会。',
 'New sub-union': '新建下级工会', 'Lowercase letters, digits and hyphens, e.g. chunxi-street.': '小写字母、数字和连字符，例如 chunxi-street。',
 'Kind': '类型', 'Contact (optional)': '联系方式（选填）', 'Address': '地址', 'Create': '创建',
 'Import many sub-unions from a YAML file': '从 YAML 文件批量导入下级工会', 'YAML file': 'YAML 文件',
 'A list of sub-unions, each with slug, name, kind and optional children, as in tenants/ of the project.':
   '下级工会列表，每项含 slug、name、kind，可带 children，格式同项目 tenants/ 目录。',
 'Import': '导入', 'Details': '基本信息', 'Email': '电子邮箱', 'Save': '保存', 'Move under another union': '移到其他工会之下',
 'Address of the new parent union': '新上级工会的地址', 'The whole subtree moves with it, inside the same federation.': '其全部下级随之移动，仅限同一总工会内。',
 'Move': '移动', 'Archive this union': '归档此工会', 'Restore this union': '恢复此工会', 'Management': '管理',
 'Public page': '公开主页', '%(n)d sub-unions in all.': '共 %(n)d 个下级工会。', 'No sub-unions.': '没有下级工会。',
 'Contact': '联系方式', 'Must not contain the NUL character.': '不能包含 NUL 字符。', 'Created': '新建', 'Updated': '更新', 'Rows read': '读取行数',
 'Take the role %(role)s away from %(user)s?': '确定收回%(user)s的“%(role)s”角色吗？',
 'Archive %(name)s? Only its managers will see it until it is restored.': '确定归档“%(name)s”吗？恢复之前，只有它的管理员能看到它。',
 'Ask the union above this one.': '请联系上级工会。',
}


def fill(catalog_path, table):
    with catalog_path.open("rb") as f:
        catalog = read_po(f, locale="zh")
    missing = []
    for message in catalog:
        if message.id and not message.string:
            if message.id in table:
                message.string = table[message.id]
                message.flags.discard("fuzzy")
            else:
                missing.append(message.id)
    with catalog_path.open("wb") as f:
        write_po(f, catalog, width=110)
    return missing


if __name__ == "__main__":
    import sys

    root = Path(__file__).resolve().parents[1] / "src" / "union_saas"
    domains = sys.argv[1:] or ["core", "tenancy", "accounts", "access"]
    for domain in domains:
        for path in root.glob(f"{domain}/translations/zh/LC_MESSAGES/messages.po"):
            left = fill(path, ZH)
            print(domain, "untranslated:", left)
