#include "auth/webauthn_cbor.h"

#include <cbor.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "auth/webauthn_limits.h"

namespace safedesk::auth::webauthn_cbor {
namespace {

struct Head {
  int major = 0;
  std::uint64_t value = 0;
};

// Reads an item head (RFC 8949 §3) at `pos`; refuses reserved and indefinite forms.
std::optional<Head> ReadHead(std::span<const std::uint8_t> data, std::size_t& pos) {
  if (pos >= data.size()) return std::nullopt;
  const std::uint8_t initial = data[pos++];
  Head head{initial >> 5, static_cast<std::uint64_t>(initial & 0x1f)};
  if (head.value < 24) return head;
  if (head.value > 27) return std::nullopt;  // 28-30 reserved, 31 indefinite
  const std::size_t width = std::size_t{1} << (head.value - 24);
  if (data.size() - pos < width) return std::nullopt;
  head.value = 0;
  for (std::size_t i = 0; i < width; ++i) head.value = (head.value << 8) | data[pos++];
  return head;
}

}  // namespace

void ItemDeleter::operator()(cbor_item_t* item) const { cbor_decref(&item); }

std::optional<std::size_t> ScanCborItem(std::span<const std::uint8_t> data) {
  std::size_t pos = 0;
  std::vector<std::uint64_t> pending{1};  // items still expected at each nesting level
  while (!pending.empty()) {
    if (pending.back() == 0) {
      pending.pop_back();
      continue;
    }
    --pending.back();
    const std::optional<Head> head = ReadHead(data, pos);
    if (!head) return std::nullopt;
    switch (head->major) {
      case 2:
      case 3:
        if (head->value > data.size() - pos) return std::nullopt;
        pos += static_cast<std::size_t>(head->value);
        break;
      case 4:
      case 5:
        if (head->value > kMaxCborMapEntries) return std::nullopt;
        pending.push_back(head->major == 5 ? head->value * 2 : head->value);
        break;
      case 6:
        pending.push_back(1);
        break;
      default:
        break;  // integers and simple values carry nothing past the head
    }
    if (pending.size() > kMaxCborDepth + 1) return std::nullopt;
  }
  return pos;
}

std::optional<LoadedItem> LoadCborPrefix(std::span<const std::uint8_t> data) {
  const std::optional<std::size_t> size = ScanCborItem(data);
  if (!size) return std::nullopt;
  cbor_load_result result{};
  Item item(cbor_load(data.data(), *size, &result));
  if (!item || result.error.code != CBOR_ERR_NONE || result.read != *size) return std::nullopt;
  return LoadedItem{std::move(item), *size};
}

Item LoadCborExact(std::span<const std::uint8_t> data) {
  std::optional<LoadedItem> loaded = LoadCborPrefix(data);
  if (!loaded || loaded->size != data.size()) return nullptr;
  return std::move(loaded->item);
}

std::optional<std::string_view> TextOf(const cbor_item_t* item) {
  if (item == nullptr || !cbor_isa_string(item) || !cbor_string_is_definite(item)) return std::nullopt;
  return std::string_view(reinterpret_cast<const char*>(cbor_string_handle(item)), cbor_string_length(item));
}

std::optional<std::span<const std::uint8_t>> BytesOf(const cbor_item_t* item) {
  if (item == nullptr || !cbor_isa_bytestring(item) || !cbor_bytestring_is_definite(item)) {
    return std::nullopt;
  }
  return std::span<const std::uint8_t>(cbor_bytestring_handle(item), cbor_bytestring_length(item));
}

std::optional<std::int64_t> IntOf(const cbor_item_t* item) {
  if (item == nullptr) return std::nullopt;
  const bool negative = cbor_isa_negint(item);
  if (!negative && !cbor_isa_uint(item)) return std::nullopt;
  const std::uint64_t raw = cbor_get_int(item);
  if (raw > static_cast<std::uint64_t>(INT64_MAX)) return std::nullopt;
  // A CBOR negative integer n encodes -1 - n.
  return negative ? -1 - static_cast<std::int64_t>(raw) : static_cast<std::int64_t>(raw);
}

std::optional<bool> BoolOf(const cbor_item_t* item) {
  if (item == nullptr || !cbor_isa_float_ctrl(item) || !cbor_is_bool(item)) return std::nullopt;
  return cbor_get_bool(item);
}

std::vector<std::uint8_t> Serialize(const cbor_item_t* item) {
  unsigned char* buffer = nullptr;
  std::size_t capacity = 0;
  const std::size_t length = cbor_serialize_alloc(item, &buffer, &capacity);
  std::vector<std::uint8_t> out(buffer, buffer + length);
  std::free(buffer);
  return out;
}

const cbor_item_t* FindText(const cbor_item_t* map, std::string_view key) {
  if (map == nullptr || !cbor_isa_map(map) || !cbor_map_is_definite(map)) return nullptr;
  const cbor_pair* pairs = cbor_map_handle(map);
  for (std::size_t i = 0; i < cbor_map_size(map); ++i) {
    if (TextOf(pairs[i].key) == key) return pairs[i].value;
  }
  return nullptr;
}

const cbor_item_t* FindInt(const cbor_item_t* map, std::int64_t key) {
  if (map == nullptr || !cbor_isa_map(map) || !cbor_map_is_definite(map)) return nullptr;
  const cbor_pair* pairs = cbor_map_handle(map);
  for (std::size_t i = 0; i < cbor_map_size(map); ++i) {
    if (IntOf(pairs[i].key) == key) return pairs[i].value;
  }
  return nullptr;
}

bool KeysUnique(const cbor_item_t* map) {
  if (map == nullptr || !cbor_isa_map(map) || !cbor_map_is_definite(map)) return false;
  const cbor_pair* pairs = cbor_map_handle(map);
  std::vector<std::vector<std::uint8_t>> keys;
  for (std::size_t i = 0; i < cbor_map_size(map); ++i) keys.push_back(Serialize(pairs[i].key));
  std::sort(keys.begin(), keys.end());
  return std::adjacent_find(keys.begin(), keys.end()) == keys.end();
}

}  // namespace safedesk::auth::webauthn_cbor
